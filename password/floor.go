package password

import (
	"sync"
	"time"
)

// floor keeps how long each kind of hash takes to check, as a moving
// average, and pads every verification to the slowest kind in recent use:
// then how long a login takes tells neither which kind of hash an account
// has (an imported Django hash not yet replaced costs more or less than
// ours) nor whether it exists. The average moves, rather than being the
// slowest ever seen, so that one check slowed by a busy machine does not
// slow every login after it for good.
type floor struct {
	mu    sync.Mutex
	costs map[string]cost
	// sleep waits; tests replace it.
	sleep func(time.Duration)
}

// cost is a kind's moving average and when it was last measured.
type cost struct {
	avg  time.Duration
	seen time.Time
}

// weight is how much one measurement moves a kind's average.
const weight = 0.2

// forget is how long a kind counts after its last check: once every
// account with an old kind of hash has logged in (and so been rehashed),
// logins stop waiting for it.
const forget = 24 * time.Hour

// pad records how long a check of kind took, from start, and waits until
// the slowest kind's average has passed.
func (f *floor) pad(kind string, start time.Time) {
	took := time.Since(start)
	f.mu.Lock()
	if f.costs == nil {
		f.costs = map[string]cost{}
	}
	c, ok := f.costs[kind]
	if ok {
		c.avg += time.Duration(weight * float64(took-c.avg))
	} else {
		c.avg = took
	}
	c.seen = time.Now()
	f.costs[kind] = c
	f.mu.Unlock()
	f.wait(took)
}

// wait waits until the slowest kind's average has passed, for a check
// that took took and is no measurement of a kind (an unusable password,
// which needs no hashing).
func (f *floor) wait(took time.Duration) {
	f.mu.Lock()
	longest, sleep := f.slowestLocked(), f.sleep
	f.mu.Unlock()
	if sleep == nil {
		sleep = time.Sleep
	}
	if wait := longest - took; wait > 0 {
		sleep(wait)
	}
}

func (f *floor) slowestLocked() time.Duration {
	var longest time.Duration
	for kind, c := range f.costs {
		if time.Since(c.seen) > forget {
			delete(f.costs, kind)
			continue
		}
		longest = max(longest, c.avg)
	}
	return longest
}
