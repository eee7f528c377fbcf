package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/clinicapi/healthcare"
)

// Throttle implements healthcare.Throttle with fixed-window counters in the
// database, so that every instance sharing it counts the same requests.
type Throttle struct {
	db *DB
}

var _ healthcare.Throttle = (*Throttle)(nil)

// NewThrottle returns a Throttle on db.
func NewThrottle(db *DB) *Throttle { return &Throttle{db: db} }

// One statement both counts and reads the count, so concurrent requests
// cannot all pass a check made before any of them counted.
const hitSQL = `INSERT INTO throttle_counters (key, window_start, hits) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
	hits = CASE WHEN throttle_counters.window_start = excluded.window_start THEN throttle_counters.hits + 1 ELSE 1 END,
	window_start = excluded.window_start
RETURNING hits`

// Hit counts one request for key against limit.
func (t *Throttle) Hit(ctx context.Context, key string, limit healthcare.Limit) error {
	if limit.Requests <= 0 {
		return nil
	}
	now := t.db.now()
	start := now.Truncate(limit.Window)
	var hits int
	if err := t.db.pool().queryRow(ctx, hitSQL, key, start).Scan(&hits); err != nil {
		t.db.noteWrite(err)
		return fmt.Errorf("count request: %w", err)
	}
	if hits > limit.Requests {
		return healthcare.Throttled(start.Add(limit.Window).Sub(now))
	}
	return nil
}

const resetSQL = `DELETE FROM throttle_counters WHERE key = $1`

// Reset forgets the requests counted for key.
func (t *Throttle) Reset(ctx context.Context, key string) error {
	if _, err := t.db.pool().exec(ctx, resetSQL, key); err != nil {
		return fmt.Errorf("reset request count: %w", err)
	}
	return nil
}

const deleteStaleCountersSQL = `DELETE FROM throttle_counters WHERE window_start < $1`

// #nosec G101 -- SQL naming a table, not a credential.
const deleteExpiredTokensSQL = `DELETE FROM refresh_tokens WHERE expires_at < $1`

// DeleteExpired removes counters whose window ended before maxWindow ago
// and refresh tokens past their expiry; neither can matter any more.
func (db *DB) DeleteExpired(ctx context.Context, maxWindow time.Duration) error {
	now := db.now()
	if _, err := db.pool().exec(ctx, deleteStaleCountersSQL, now.Add(-maxWindow)); err != nil {
		return fmt.Errorf("delete stale counters: %w", err)
	}
	if _, err := db.pool().exec(ctx, deleteExpiredTokensSQL, now); err != nil {
		return fmt.Errorf("delete expired tokens: %w", err)
	}
	return nil
}
