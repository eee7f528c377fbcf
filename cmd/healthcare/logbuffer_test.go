package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer written by the flush timer's goroutine
// and read by the test.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogBufferGathersLinesAndFlushesOnWarning(t *testing.T) {
	out := &lockedBuffer{}
	buf := newLogBuffer(out)
	logger := slog.New(flushOnWarning{slog.NewTextHandler(buf, nil), buf}).With("app", "healthcare")
	logger.Info("first")
	logger.Info("second")
	if got := out.String(); got != "" {
		t.Fatalf("info lines written before any flush: %q", got)
	}
	logger.WithGroup("g").Warn("third", "k", 1)
	got := out.String()
	if strings.Count(got, "\n") != 3 || !(strings.Index(got, "first") < strings.Index(got, "second") &&
		strings.Index(got, "second") < strings.Index(got, "third")) || !strings.Contains(got, "app=healthcare") {
		t.Fatalf("after a warning the output is %q, want the three lines in order", got)
	}
	if n := out.count(); n != 1 {
		t.Errorf("three lines took %d writes, want 1", n)
	}
	logger.Info("fourth")
	if err := buf.Close(); err != nil || !strings.Contains(out.String(), "fourth") {
		t.Errorf("Close = %v, output %q: want the last line written", err, out.String())
	}
}

func TestLogBufferWritesWithinItsDelay(t *testing.T) {
	out := &lockedBuffer{}
	buf := newLogBuffer(out)
	slog.New(slog.NewTextHandler(buf, nil)).Info("late")
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "late"); {
		if time.Now().After(deadline) {
			t.Fatalf("a buffered line was not written by its timer (output %q)", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogBufferKeepsOrderPastItsSize(t *testing.T) {
	out := &lockedBuffer{}
	buf := newLogBuffer(out)
	var want strings.Builder
	for i, n := range []int{100, logBufferSize - 50, 2 * logBufferSize, 10, logBufferSize} {
		line := strings.Repeat(string(rune('a'+i)), n) + "\n"
		want.WriteString(line)
		if _, err := buf.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	_ = buf.Flush()
	if out.String() != want.String() {
		t.Errorf("lines came out changed or out of order (%d bytes, want %d)", len(out.String()), want.Len())
	}
}
