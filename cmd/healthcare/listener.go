package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"
)

const (
	// drainQuiet is how long the accept queue must stay empty to end a
	// drain: time for handshakes already in flight to complete (a few
	// round trips), and a margin for a scheduler that delays Accept.
	drainQuiet = 100 * time.Millisecond
	// drainLimit bounds a drain that new connections keep feeding, where
	// they cannot be refused (off Linux): the stop waits for it without a
	// deadline. Where they are refused, the queue empties well before.
	drainLimit = 5 * time.Second
)

// drainListener is a TCP listener that can stop without resetting the
// connections the kernel has already accepted for it. Closing a listening
// socket resets every connection still in its accept queue, and a client
// whose request was on one cannot tell whether it was processed. Drain
// instead keeps new connections out of the queue, lets Accept hand over
// what is queued, and closes the socket once the queue stays empty.
type drainListener struct {
	tcp *net.TCPListener
	// until is 0, then from Drain on the time (Unix ns) at which the
	// drain stops accepting even if connections keep coming.
	until    atomic.Int64
	accepted atomic.Int64 // connections accepted while draining
	cut      atomic.Bool  // the drain hit drainLimit with connections queued
}

func listen(addr string) (*drainListener, error) {
	// Plain TCP, not Go's default of MPTCP on Linux: an MPTCP socket
	// takes no socket filter (EOPNOTSUPP), and Drain needs one.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ADDR: listen on %s: %w", addr, err)
	}
	return &drainListener{tcp: ln.(*net.TCPListener)}, nil
}

// Drain starts the stop: the kernel drops new connection attempts (on
// Linux; their clients retry and then meet a closed port, a clean refusal),
// and Accept returns the queued connections until the queue has been empty
// for drainQuiet, then closes the socket and returns net.ErrClosed. An
// error means new connections could not be refused; the drain goes on.
func (l *drainListener) Drain() error {
	if !l.until.CompareAndSwap(0, time.Now().Add(drainLimit).UnixNano()) {
		return nil
	}
	err := refuseNew(l.tcp)
	// Wake an Accept that is waiting; it sees until set and drains.
	_ = l.tcp.SetDeadline(time.Now())
	return err
}

// Accept waits for the next connection or, once draining, takes the next
// queued one.
func (l *drainListener) Accept() (net.Conn, error) {
	if l.until.Load() == 0 {
		c, err := l.tcp.Accept()
		// Only Drain sets a deadline, after until: a timeout with until
		// still 0 is not ours and goes to Serve, which retries.
		if err == nil || l.until.Load() == 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return c, err
		}
	}
	until := time.Unix(0, l.until.Load())
	for {
		now := time.Now()
		if now.After(until) {
			l.cut.Store(queued(l.tcp))
			_ = l.tcp.Close()
			return nil, net.ErrClosed
		}
		// A fresh deadline for each call: the runtime fails an Accept
		// whose deadline has passed without looking at the queue.
		deadline := now.Add(drainQuiet)
		if deadline.After(until) {
			deadline = until
		}
		_ = l.tcp.SetDeadline(deadline)
		c, err := l.tcp.Accept()
		if err == nil {
			l.accepted.Add(1)
			return c, nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err
		}
		// That can happen when a busy scheduler runs this goroutine late,
		// so the queue counts as empty only when the kernel says so.
		if !queued(l.tcp) {
			_ = l.tcp.Close()
			return nil, net.ErrClosed
		}
	}
}

// drained reports how many connections the drain accepted, and whether it
// was cut short by drainLimit with some still queued, which were reset.
func (l *drainListener) drained() (accepted int64, cut bool) {
	return l.accepted.Load(), l.cut.Load()
}

// Close closes the socket at once, resetting what is queued: for Serve's
// own cleanup and for errors, after or instead of a drain.
func (l *drainListener) Close() error { return l.tcp.Close() }

func (l *drainListener) Addr() net.Addr { return l.tcp.Addr() }
