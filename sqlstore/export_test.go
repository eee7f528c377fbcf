package sqlstore

import (
	"context"

	"github.com/clinicapi/healthcare"
)

// InsertAuditEvents writes events as one group commit does, for benchmarks.
func (db *DB) InsertAuditEvents(ctx context.Context, events []*healthcare.AuditEvent) error {
	return db.audit.insert(ctx, db.db, events)
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
