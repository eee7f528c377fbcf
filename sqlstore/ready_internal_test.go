package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestStorageHealth: after a storage failure, Ready waits out the hold,
// then probes; a failure soon after a probe passed doubles the hold (up to
// the most), and one long after starts again from the least.
func TestStorageHealth(t *testing.T) {
	var h storageHealth
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var (
		probes    int
		probeFail bool
		now       time.Time
	)
	probe := func(context.Context) error {
		probes++
		if probeFail {
			h.failed(now) // as DB.probe notes its own storage failure
			return errors.New("still read-only")
		}
		return nil
	}
	expect := func(at time.Duration, ready bool, wantProbes int) {
		t.Helper()
		now = t0.Add(at)
		err := h.check(context.Background(), now, probe)
		if (err == nil) != ready || probes != wantProbes {
			t.Fatalf("check at %v = %v after %d probes; want ready %v after %d", at, err, probes, ready, wantProbes)
		}
	}
	hold := minStorageHold

	expect(0, true, 0)
	h.failed(t0)
	expect(time.Second, false, 0)
	probeFail = true
	expect(hold, false, 1)
	expect(hold+time.Second, false, 1) // the failed probe started the hold again
	probeFail = false
	expect(2*hold, true, 2)
	expect(2*hold+time.Second, true, 2)

	// Failing again just after each probe passed: the probes were wrong.
	cleared := 2 * hold
	for i := range 10 {
		failedAt := cleared + time.Second
		h.failed(t0.Add(failedAt))
		if want := min(hold<<(i+1), maxStorageHold); h.hold != want {
			t.Fatalf("hold after %d flaps = %v, want %v", i+1, h.hold, want)
		}
		expect(failedAt+h.hold-time.Second, false, 3+i-1)
		cleared = failedAt + h.hold
		expect(cleared, true, 3+i)
	}

	// Long after the last probe passed, a failure is a new incident.
	h.failed(t0.Add(cleared + time.Hour))
	if h.hold != hold {
		t.Errorf("hold of a new incident = %v, want %v", h.hold, hold)
	}
}
