package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
)

// InsertAuditEvents writes events as one group commit does, for benchmarks.
func (db *DB) InsertAuditEvents(ctx context.Context, events []*healthcare.AuditEvent) error {
	return db.audit.insert(ctx, db.pool(), events)
}

// The classification by SQLite result code, for a table of codes that a
// test cannot all provoke.
var (
	SQLiteUnavailable    = sqliteUnavailable
	SQLiteStorageFailure = sqliteStorageFailure
	IsStorageFailure     = isStorageFailure
)

// CheckDisk is the filesystem half of Ready, which a test cannot fill.
var CheckDisk = checkDisk

// MinStorageHold is how long Ready waits at least before it probes.
const MinStorageHold = minStorageHold

// MigrateTo applies the migrations up to version, for tests of one migration.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.migrator()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// Columns lists every table of the schema (goose's own excepted) with its
// column names in order, so that the two engines' migrations can be compared.
func (db *DB) Columns(ctx context.Context) (map[string][]string, error) {
	q := columnsSQL[db.dialect.name]
	rows, err := db.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, fmt.Errorf("list columns: %w", err)
		}
		out[table] = append(out[table], column)
	}
	return out, rows.Err()
}

// columnsSQL differs by engine: information_schema against pragma_table_info.
var columnsSQL = map[string]string{
	"postgres": `SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
ORDER BY table_name, ordinal_position`,
	"sqlite": `SELECT m.name, c.name FROM sqlite_schema m, pragma_table_info(m.name) c
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'
ORDER BY m.name, c.cid`,
}

// OpenWithoutAudit opens url with the audit trail off, to measure what
// auditing costs.
func OpenWithoutAudit(ctx context.Context, url string, opt Options) (*DB, error) {
	db, err := Open(ctx, url, opt)
	if err == nil {
		db.audit.disabled = true
	}
	return db, err
}

// UserCacheLive reports whether the account cache is serving.
func (db *DB) UserCacheLive() bool { return db.users.trusted(time.Now()) }

// Listen starts listening for account changes, as the first authenticated
// request does.
func (db *DB) Listen() { db.listen() }

// ExplainEvents is PostgreSQL's plan (EXPLAIN, text) of the query a page
// of events runs, for the caller in ctx.
func (db *DB) ExplainEvents(ctx context.Context, f healthcare.AuditFilter) (string, error) {
	q, err := db.eventsQuery(ctx, &f)
	if err != nil {
		return "", err
	}
	var plan strings.Builder
	err = db.pool().each(ctx, "EXPLAIN "+q.String(), q.args, func(row scanner) error {
		var line string
		err := row.Scan(&line)
		plan.WriteString(line + "\n")
		return err
	})
	return plan.String(), err
}
