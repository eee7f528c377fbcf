package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// minRoom is the least free space, in bytes, under which an SQLite
// database is not ready: a write of ours takes tens of kilobytes of WAL
// and database pages, so below this the next ones are about to fail.
const minRoom = 1 << 20

// After a write fails because the database cannot be written (full,
// read-only, failing I/O), Ready says so until a probe write succeeds, at
// least minStorageHold later. A small write can succeed in an existing page
// while inserts that need a new one still fail, so a probe alone could
// flap between ready and not. On SQLite, space is therefore not judged by
// the probe but measured, before any write fails: the filesystem's free
// space and the page limit. PostgreSQL's disk is the server's, out of our
// sight, so a failure soon after a probe passed doubles the hold, up to
// maxStorageHold.
const (
	minStorageHold = 5 * time.Second
	maxStorageHold = 5 * time.Minute
)

// Ready reports whether the database can serve requests: it answers, and
// it can be written.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	if db.dialect == sqliteDialect {
		if err := checkDisk(db.dir, minRoom); err != nil {
			return err
		}
		var room int64
		if err := db.pool().queryRow(ctx, sqliteRoomSQL).Scan(&room); err != nil {
			return fmt.Errorf("measure database room: %w", err)
		}
		if room < minRoom {
			return fmt.Errorf("database page limit: %d bytes of room left", room)
		}
	}
	return db.storage.check(ctx, db.now(), db.probe)
}

// probeSQL rewrites one row that no client can name (the sweep deletes it
// with the stale counters): a committed write on both engines, refused by
// a read-only database, connection or standby.
const probeSQL = `INSERT INTO throttle_counters (key, window_start, hits) VALUES ('readiness probe', $1, 0)
ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start`

func (db *DB) probe(ctx context.Context) error {
	if _, err := db.pool().exec(ctx, probeSQL, db.now()); err != nil {
		db.noteWrite(err)
		return fmt.Errorf("probe write: %w", err)
	}
	return nil
}

// noteWrite remembers a write that failed because the database cannot be
// written, for Ready.
func (db *DB) noteWrite(err error) {
	if err != nil && isStorageFailure(err) {
		db.storage.failed(db.now())
	}
}

// storageHealth is the memory of storage failures behind Ready.
type storageHealth struct {
	mu        sync.Mutex
	failedAt  time.Time // of the last failure; zero once a probe passed
	clearedAt time.Time // when a probe last passed
	hold      time.Duration
}

func (h *storageHealth) failed(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failedAt.IsZero() {
		if !h.clearedAt.IsZero() && now.Sub(h.clearedAt) < h.hold {
			h.hold = min(2*h.hold, maxStorageHold) // the last probe passed too soon
		} else {
			h.hold = minStorageHold
		}
	}
	h.failedAt = now
}

// check answers nil when no storage failure is remembered; otherwise, once
// the hold is over, it probes and forgets the failure if the probe passes.
func (h *storageHealth) check(ctx context.Context, now time.Time, probe func(context.Context) error) error {
	h.mu.Lock()
	failedAt, hold := h.failedAt, h.hold
	h.mu.Unlock()
	if failedAt.IsZero() {
		return nil
	}
	if wait := failedAt.Add(hold).Sub(now); wait > 0 {
		return fmt.Errorf("a write failed for want of storage %v ago; next probe in %v", now.Sub(failedAt), wait)
	}
	if err := probe(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failedAt.Equal(failedAt) { // no failure since the probe began
		h.failedAt, h.clearedAt = time.Time{}, now
	}
	return nil
}

// ExecForTest runs query on the store's own connections. It exists so that
// tests can make SQLite's one connection full or read-only with a
// per-connection PRAGMA (max_page_count, query_only); nothing in the
// product calls it.
func (db *DB) ExecForTest(ctx context.Context, query string) error {
	if _, err := db.pool().exec(ctx, query); err != nil {
		return fmt.Errorf("exec for test: %w", err)
	}
	return nil
}
