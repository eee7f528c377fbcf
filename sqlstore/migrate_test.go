package sqlstore_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) {
	if os.Getenv(killedImportEnv) != "" {
		killedImport() // a child of TestImportDjangoKilled; it does not return
	}
	sqlstoretest.Main(m)
}

func TestMigrationsMatchAcrossEngines(t *testing.T) {
	files := func(dir string) []string {
		entries, err := fs.ReadDir(sqlstore.MigrationsFS, dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if diff := cmp.Diff(files("migrations/postgres"), files("migrations/sqlite")); diff != "" {
		t.Errorf("migration files mismatch (-postgres +sqlite):\n%s", diff)
	}

	ctx := context.Background()
	pg := sqlstoretest.Open(t, sqlstoretest.PostgresURL(t))
	lite := sqlstoretest.Open(t, sqlstoretest.SQLiteURL(t))
	pgCols, err := pg.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	liteCols, err := lite.Columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pgCols) == 0 {
		t.Fatal("no tables after migrating")
	}
	if diff := cmp.Diff(pgCols, liteCols); diff != "" {
		t.Errorf("schema mismatch (-postgres +sqlite):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		n, err := db.Migrate(context.Background())
		if err != nil || n != 0 {
			t.Errorf("second Migrate() = %d, %v; want 0, nil", n, err)
		}
		status, err := db.MigrationStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range status {
			if !s.Applied {
				t.Errorf("migration %d not applied", s.Version)
			}
		}
	})
}

// A file name may hold "#" and "%": the database is that file, not one
// named by what comes before them.
func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "clinic#1 100%.db")
	db, err := sqlstore.Open(context.Background(), "sqlite://"+path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "clinic#1 100%.db") {
			t.Errorf("a file named %q was made", e.Name())
		}
	}
}
