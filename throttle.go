package healthcare

import (
	"context"
	"time"
)

// Limit is a number of requests allowed per window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// Throttle counts requests against limits, in storage that every instance
// shares.
type Throttle interface {
	// Hit counts one request for key and returns ETHROTTLED (with
	// RetryAfter) if that makes more than the limit allows in this window.
	Hit(ctx context.Context, key string, limit Limit) error
	// Reset forgets the requests counted for key.
	Reset(ctx context.Context, key string) error
}
