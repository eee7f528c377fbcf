package sqlstore

import (
	"context"
	"fmt"
	"strings"
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
// cannot all pass a check made before any of them counted. A new window
// keeps the hits of the one before it ($3 is its start), if it was the
// one just before.
const hitSQL = `INSERT INTO throttle_counters (key, window_start, hits, prev_hits) VALUES ($1, $2, 1, 0)
ON CONFLICT (key) DO UPDATE SET
	prev_hits = CASE WHEN throttle_counters.window_start = excluded.window_start THEN throttle_counters.prev_hits
		WHEN throttle_counters.window_start = $3 THEN throttle_counters.hits ELSE 0 END,
	hits = CASE WHEN throttle_counters.window_start = excluded.window_start THEN throttle_counters.hits + 1 ELSE 1 END,
	window_start = excluded.window_start
RETURNING hits, prev_hits`

// Hit counts one request for key against limit, over a sliding window: the
// hits of this fixed window plus those of the window before, weighted by
// how much of it the sliding window still covers. Fixed windows alone
// let a burst at the end of one and another at the start of the next
// through: twice the limit in a moment.
func (t *Throttle) Hit(ctx context.Context, key string, limit healthcare.Limit) error {
	if limit.Requests <= 0 {
		return nil
	}
	now := t.db.now()
	start := now.Truncate(limit.Window)
	var hits, prev int
	if err := t.db.pool().queryRow(ctx, hitSQL, key, start, start.Add(-limit.Window)).Scan(&hits, &prev); err != nil {
		t.db.noteWrite(err)
		return fmt.Errorf("count request: %w", err)
	}
	if wait := slidingWait(limit, now.Sub(start), hits, prev); wait > 0 {
		scope, _, _ := strings.Cut(key, ":")
		if _, err := t.db.pool().exec(ctx, countRefusalSQL, now.Truncate(time.Hour), scope); err != nil {
			return fmt.Errorf("count refusal: %w", err)
		}
		return healthcare.Throttled(wait)
	}
	return nil
}

// countRefusalSQL counts a refused request in its hour, for the console's
// chart: a write only when a request is refused anyway.
const countRefusalSQL = `INSERT INTO throttle_refusals (hour, scope, refusals) VALUES ($1, $2, 1)
ON CONFLICT (hour, scope) DO UPDATE SET refusals = throttle_refusals.refusals + 1`

// slidingWait is how long until the next request would pass, elapsed into
// the window with hits in it (this request's included) and prev in the one
// before: 0 if this one passes.
func slidingWait(limit healthcare.Limit, elapsed time.Duration, hits, prev int) time.Duration {
	w, n := float64(limit.Window), float64(limit.Requests)
	covered := 1 - float64(elapsed)/w // of the window before
	if float64(prev)*covered+float64(hits) <= n {
		return 0
	}
	if hits+1 <= limit.Requests {
		// Until enough of the window before has slid out for one more.
		return time.Duration(w*(1-(n-float64(hits)-1)/float64(prev))) - elapsed
	}
	// Until this window's hits, become the window before, leave room.
	return limit.Window - elapsed + time.Duration(w*(1-(n-1)/float64(hits)))
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

const deleteOldRefusalsSQL = `DELETE FROM throttle_refusals WHERE hour < $1`

// #nosec G101 -- SQL naming a table, not a credential.
const deleteExpiredTokensSQL = `DELETE FROM refresh_tokens WHERE expires_at < $1`

// DeleteExpired removes counters whose window ended before maxWindow ago,
// refresh tokens past their expiry, refusal counts older than the chart
// and console sessions older than any session may live.
func (db *DB) DeleteExpired(ctx context.Context, maxWindow time.Duration) error {
	now := db.now()
	// A counter counts for two windows: its own, and as the one before.
	if _, err := db.pool().exec(ctx, deleteStaleCountersSQL, now.Add(-2*maxWindow)); err != nil {
		return fmt.Errorf("delete stale counters: %w", err)
	}
	if _, err := db.pool().exec(ctx, deleteExpiredTokensSQL, now); err != nil {
		return fmt.Errorf("delete expired tokens: %w", err)
	}
	// The console's chart shows one day.
	if _, err := db.pool().exec(ctx, deleteOldRefusalsSQL, now.Add(-48*time.Hour)); err != nil {
		return fmt.Errorf("delete old refusal counts: %w", err)
	}
	if _, err := db.pool().exec(ctx, deleteOldSessionsSQL, now.Add(-maxSessionLifetime)); err != nil {
		return fmt.Errorf("delete old console sessions: %w", err)
	}
	return nil
}
