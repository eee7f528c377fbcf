// Package password hashes passwords with argon2id and checks them against
// the password policy of the API: length, common passwords, all digits, and
// similarity to the account's own details.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/clinicapi/healthcare"
)

// Params are argon2id cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams are OWASP's first recommended argon2id configuration.
var DefaultParams = Params{MemoryKiB: 19456, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// Hasher hashes new passwords with its Params and verifies stored hashes
// with the parameters written in them, so that raising the cost later does
// not lock anybody out.
type Hasher struct {
	params Params
	dummy  string
	// slots bounds the argon2id computations running at once: each takes
	// MemoryKiB of memory, so a login flood must queue, not exhaust RAM.
	slots chan struct{}
	wait  time.Duration
}

// NewHasher returns a Hasher that hashes with p.
func NewHasher(p Params) (*Hasher, error) {
	if p.MemoryKiB < 8*uint32(p.Threads) || p.Time < 1 || p.Threads < 1 {
		return nil, fmt.Errorf("argon2id parameters out of range: %+v", p)
	}
	h := &Hasher{params: p}
	h.Limit(runtime.NumCPU(), 2*time.Second)
	dummy, err := h.Hash("dummy password for unknown accounts")
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Limit lets at most concurrent computations run at once; a caller waits
// up to wait for its turn, then gets EUNAVAILABLE.
func (h *Hasher) Limit(concurrent int, wait time.Duration) {
	h.slots = make(chan struct{}, max(concurrent, 1))
	h.wait = wait
}

// acquire takes a slot, or fails once the wait is over.
func (h *Hasher) acquire() (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	default:
	}
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-timer.C:
		return nil, &healthcare.Error{Code: healthcare.EUNAVAILABLE, RetryAfter: time.Second,
			Message: "The server is busy checking passwords; try again shortly."}
	}
}

// Hash returns the PHC string of password with a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	release, err := h.acquire()
	if err != nil {
		return "", err
	}
	defer release()
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	p := h.params
	key := idKey([]byte(password), salt, p, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errMalformed = errors.New("malformed argon2id hash")

// Verify reports whether password matches the PHC string hash.
func (h *Hasher) Verify(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, errMalformed
	}
	// A stored hash is trusted input, but a corrupted one must neither panic
	// argon2 nor make every login allocate gigabytes: 256 MiB is over ten
	// times what any sane configuration asks.
	if p.MemoryKiB > 256<<10 || p.MemoryKiB < 8*uint32(p.Threads) || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return false, errMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 1024 {
		return false, errMalformed
	}
	release, err := h.acquire()
	if err != nil {
		return false, err
	}
	defer release()
	got := idKey([]byte(password), salt, p, uint32(len(want))) // #nosec G115 -- len(want) <= 1024, checked above
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy does the work of a Verify against a hash nobody has, so that
// a login for an unknown account takes as long as one with a wrong password.
func (h *Hasher) VerifyDummy(password string) error {
	_, err := h.Verify(h.dummy, password)
	return err
}

// idKey is argon2id with p. Its working set (MemoryKiB, 19 MiB by default)
// is garbage the moment it returns; collecting it then lets the next hash
// reuse those pages, where the runtime would otherwise grow the heap by
// another working set before collecting, and keep it (docs/performance.md
// has the figures for a burst of logins). The hash is no slower for it
// (BenchmarkIDKey): reused pages need no faulting in; debug.FreeOSMemory
// instead made each hash twice as slow.
func idKey(password, salt []byte, p Params, keyLen uint32) []byte {
	key := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	if p.MemoryKiB >= 1<<10 {
		runtime.GC()
	}
	return key
}
