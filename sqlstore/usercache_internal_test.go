package sqlstore

import (
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
)

func TestUserCacheRules(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newUserCache(time.Second, func() time.Time { return now })
	u := &healthcare.User{ID: 7, Username: "u", IsActive: true, PasswordHash: "secret"}

	gen, at := c.begin()
	c.put(gen, at, u)
	if _, ok := c.get(7); ok {
		t.Fatal("served while no change reports arrive")
	}

	c.setLive(true)
	gen, at = c.begin()
	c.put(gen, at, u)
	got, ok := c.get(7)
	if !ok || got.Username != "u" || got.PasswordHash != "" {
		t.Fatalf("get = %+v, %v; want the user without its hash", got, ok)
	}
	got.Username = "changed"
	if again, _ := c.get(7); again.Username != "u" {
		t.Fatal("get handed out the cached value itself")
	}

	// A read that began before a change was reported is not kept.
	c.invalidate(7)
	gen, at = c.begin()
	c.invalidate(8)
	c.put(gen, at, u)
	if _, ok := c.get(7); ok {
		t.Fatal("kept a read that a change overtook")
	}

	// Nothing older than maxAge is served, reports or not.
	gen, at = c.begin()
	c.put(gen, at, u)
	now = now.Add(999 * time.Millisecond)
	c.alive()
	if _, ok := c.get(7); !ok {
		t.Fatal("fresh entry not served")
	}
	now = now.Add(time.Millisecond)
	c.alive()
	if _, ok := c.get(7); ok {
		t.Fatal("served an entry maxAge old")
	}

	// A channel that has not shown it is alive within maxAge is not trusted.
	gen, at = c.begin()
	c.put(gen, at, u)
	now = now.Add(time.Second)
	if c.trusted(now) {
		t.Fatal("trusted a channel silent for maxAge")
	}

	// Going down drops everything; so does coming back.
	c.alive()
	gen, at = c.begin()
	c.put(gen, at, u)
	c.setLive(false)
	c.setLive(true)
	if _, ok := c.get(7); ok {
		t.Fatal("an entry survived the channel going down")
	}
}

func TestUserCacheBounded(t *testing.T) {
	now := time.Now()
	c := newUserCache(time.Minute, func() time.Time { return now })
	c.setLive(true)
	for id := range int64(maxCachedUsers + 10) {
		gen, at := c.begin()
		c.put(gen, at, &healthcare.User{ID: id})
	}
	if n := len(c.users); n > maxCachedUsers {
		t.Fatalf("%d entries, bound %d", n, maxCachedUsers)
	}
}
