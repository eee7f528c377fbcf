package sqlstore

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

func (db *DB) migrator() (*goose.Provider, error) {
	fsys, err := db.dialect.migrationsFS()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(foldKeysMigration(), searchKeysMigration())}
	if db.dialect == postgresDialect {
		// Several instances may start at once; an advisory lock lets one
		// migrate while the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(db.dialect.goose, db.db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	p, err := db.migrator()
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate %s database: %w", db.dialect.name, err)
	}
	return len(results), nil
}

// MigrationStatus lists every migration the binary holds.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.migrator()
	if err != nil {
		return nil, err
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(status))
	for _, s := range status {
		name := s.Source.Path
		if s.Source.Type == goose.TypeGo {
			name = "(Go) fold key columns as Unicode recommends"
		}
		out = append(out, MigrationStatus{Version: s.Source.Version, Name: name, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}
