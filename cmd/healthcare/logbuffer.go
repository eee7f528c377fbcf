package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushAfter is how long a log line may wait in the server's buffer:
// under load the access log was a write(2) per request, which on a pipe
// costs the server and the process reading it (docs/performance.md).
const logFlushAfter = 100 * time.Millisecond

// logBufferSize is how much the buffer holds before it is written at once.
const logBufferSize = 64 << 10

// logBuffer gathers whole lines (a slog handler writes each record with one
// Write) and writes them at most logFlushAfter after the first of them,
// when logBufferSize would be passed, on Flush, or on Close. What a crash
// leaves unwritten is at most that long: the audit trail, not the log, is
// the durable record, and a warning or an error is written at once
// (flushOnWarning).
type logBuffer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, logBufferSize)}
	b.timer = time.AfterFunc(time.Hour, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > cap(b.buf) {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(b.buf) {
			return b.w.Write(p)
		}
	}
	if len(b.buf) == 0 {
		b.timer.Reset(logFlushAfter)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes what the buffer holds.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *logBuffer) flushLocked() error {
	b.timer.Stop()
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0] // a failed write is not retried: the next might block for good
	return err
}

// Close writes what is left.
func (b *logBuffer) Close() error { return b.Flush() }

// flushOnWarning writes the buffer out after every record at warning level
// or above, so that what goes wrong is seen at once and survives a crash.
type flushOnWarning struct {
	slog.Handler
	buf *logBuffer
}

func (h flushOnWarning) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushOnWarning) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOnWarning{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushOnWarning) WithGroup(name string) slog.Handler {
	return flushOnWarning{h.Handler.WithGroup(name), h.buf}
}
