package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// stopServing stops srv so that every connection the kernel accepted for
// it gets its answer. http.Server.Shutdown alone does not: closing the
// listener resets the connections queued in its backlog, and a request
// read once Shutdown has begun is dropped unanswered (net/http's
// conn.serve returns when the server is shutting down). So keep-alives go
// off, the listener drains its backlog into Serve, each connection
// finishes its one exchange, and only then does Shutdown close the rest.
// served delivers Serve's result.
func stopServing(srv *http.Server, ln *drainListener, served <-chan error, conns *connTracker, timeout time.Duration, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv.SetKeepAlivesEnabled(false) // every answer from here on says Connection: close
	if err := ln.Drain(); err != nil {
		logger.Warn("draining without refusing new connections", "err", err)
	}
	if err := <-served; !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if n, cut := ln.drained(); cut {
		logger.Warn("drain cut short at its limit: connections still queued were reset", "accepted", n, "limit", drainLimit.String())
	} else {
		logger.Info("listener drained", "accepted", n)
	}
	conns.wait(ctx) // past ctx's deadline, Shutdown says so
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// connTracker follows a server's connections through its ConnState hook,
// so that a stop can wait until none is reading or answering a request.
type connTracker struct {
	mu sync.Mutex
	// busy holds each connection that is not idle: since it was accepted
	// while it awaits its first request, zero once a request is read.
	busy map[net.Conn]time.Time
}

func newConnTracker() *connTracker { return &connTracker{busy: map[net.Conn]time.Time{}} }

// track is an http.Server's ConnState.
func (t *connTracker) track(c net.Conn, state http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch state {
	case http.StateNew:
		t.busy[c] = time.Now()
	case http.StateActive:
		t.busy[c] = time.Time{}
	default:
		delete(t.busy, c)
	}
}

// silentNew is how long a connection may await its first request and
// still be waited for: net/http's Shutdown closes such connections as idle
// after 5 s too.
const silentNew = 5 * time.Second

// wait returns once no connection is busy, or when ctx is done.
func (t *connTracker) wait(ctx context.Context) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for t.anyBusy() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (t *connTracker) anyBusy() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, since := range t.busy {
		if since.IsZero() || time.Since(since) < silentNew {
			return true
		}
	}
	return false
}
