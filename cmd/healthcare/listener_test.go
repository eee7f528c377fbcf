package main

import (
	"errors"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestDrainRefusesNewConnections: once draining, a new connection attempt
// gets no handshake, while one already queued is still handed over; then
// the port refuses.
func TestDrainRefusesNewConnections(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("new connections are refused with a Linux socket filter")
	}
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	queued, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer queued.Close()
	if err := ln.Drain(); err != nil {
		t.Fatalf("Drain() = %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
		c.Close()
		t.Error("a new connection was accepted into the queue while draining")
	} else if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Errorf("dial while draining = %v, want a timeout (SYN dropped)", err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("Accept() while draining = %v, want the queued connection", err)
	}
	if got, want := c.RemoteAddr().String(), queued.LocalAddr().String(); got != want {
		t.Errorf("Accept() while draining = connection from %s, want %s", got, want)
	}
	c.Close()
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept() with the queue empty = %v, want net.ErrClosed", err)
	}
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after the drain = %v, want connection refused", err)
	}
}

// TestAcceptTimeoutBeforeDrain: a deadline that is not the drain's makes
// Accept fail with a timeout, which Serve retries; it never closes the
// listener.
func TestAcceptTimeoutBeforeDrain(t *testing.T) {
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_ = ln.tcp.SetDeadline(time.Now())
	if _, err := ln.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Accept() past a deadline = %v, want a timeout", err)
	}
	_ = ln.tcp.SetDeadline(time.Time{})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial after the timeout = %v, want the listener still open", err)
	}
	defer c.Close()
	if a, err := ln.Accept(); err != nil {
		t.Errorf("Accept() after the timeout = %v", err)
	} else {
		a.Close()
	}
}
