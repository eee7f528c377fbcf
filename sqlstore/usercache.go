package sqlstore

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/clinicapi/healthcare"
)

// userCache keeps the accounts that access tokens name, so that an
// authenticated request need not read its user row (the second round trip
// of every request, as simplejwt makes it). An entry is dropped the moment
// the database says its row changed: PostgreSQL notifies every instance of
// each committed change of users (see listen.go), SQLite's update hook
// reports each change made in this process. When those reports cannot be
// trusted (the channel is down) nothing is served from the cache, and no
// entry is ever served older than maxAge, which bounds what a lost report
// can cost.
type userCache struct {
	maxAge time.Duration
	now    func() time.Time

	mu    sync.Mutex
	users map[int64]cachedUser
	// gen goes up with every invalidation: a read that began before one
	// may have seen the old row, so its result is not kept.
	gen uint64

	// live is set while changes are reported; aliveAt is when the channel
	// last proved it was up (a notification, or a ping answered).
	live    atomic.Bool
	aliveAt atomic.Int64 // unix nanoseconds
	// alwaysAlive: changes are reported in-process (SQLite's hook), with
	// no channel that could go quiet.
	alwaysAlive bool
}

type cachedUser struct {
	user healthcare.User
	at   time.Time
}

// maxCachedUsers bounds the cache's memory (about 200 bytes an entry).
const maxCachedUsers = 100_000

func newUserCache(maxAge time.Duration, now func() time.Time) *userCache {
	return &userCache{maxAge: maxAge, now: now, users: map[int64]cachedUser{}}
}

// trusted reports whether entries may be served: changes are being
// reported and the channel showed it was alive within maxAge.
func (c *userCache) trusted(now time.Time) bool {
	return c != nil && c.live.Load() && (c.alwaysAlive || now.Sub(time.Unix(0, c.aliveAt.Load())) < c.maxAge)
}

// get returns a copy of a fresh entry.
func (c *userCache) get(id int64) (*healthcare.User, bool) {
	if c == nil {
		return nil, false
	}
	now := c.now()
	if !c.trusted(now) {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.users[id]
	c.mu.Unlock()
	if !ok || now.Sub(e.at) >= c.maxAge {
		return nil, false
	}
	u := e.user
	return &u, true
}

// begin is called before reading a row that put may keep.
func (c *userCache) begin() (gen uint64, at time.Time) {
	if c == nil {
		return 0, time.Time{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.now()
}

// put keeps u, read after begin returned gen and at, unless a change was
// reported since or the reports cannot be trusted.
func (c *userCache) put(gen uint64, at time.Time, u *healthcare.User) {
	if c == nil || !c.trusted(at) {
		return
	}
	kept := *u
	kept.PasswordHash = "" // never needed to authenticate a token
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.users) >= maxCachedUsers {
		clear(c.users)
	}
	c.users[u.ID] = cachedUser{user: kept, at: at}
}

// invalidate drops one account's entry.
func (c *userCache) invalidate(id int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	delete(c.users, id)
	c.mu.Unlock()
}

// reset drops every entry.
func (c *userCache) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	clear(c.users)
	c.mu.Unlock()
}

// setLive records whether changes are being reported. Going live drops
// every entry, since changes made while the channel was down were missed.
func (c *userCache) setLive(live bool) {
	if c == nil {
		return
	}
	if live {
		c.reset()
		c.alive()
	}
	c.live.Store(live)
	if !live {
		c.reset()
	}
}

// alive records that the channel just proved it was up.
func (c *userCache) alive() { c.aliveAt.Store(c.now().UnixNano()) }
