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
	kind   string // hashKind of the hashes Hash makes
	dummy  string
	floor  floor
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
	h.dummy, h.kind = dummy, hashKind(dummy)
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

var errMalformed = errors.New("malformed or out-of-bounds password hash")

// Verify reports whether password matches hash: an argon2id PHC string of
// ours, or a hash a Django deployment stored (django.go). An unusable
// password ("!…", or none) matches nothing. However long the hash takes,
// Verify lasts as long as the slowest kind of hash in recent use (floor),
// so that its duration tells nothing of the hash it checked.
func (h *Hasher) Verify(hash, password string) (bool, error) {
	if hash == "" || strings.HasPrefix(hash, "!") {
		h.floor.wait(0)
		return false, nil
	}
	release, err := h.acquire()
	if err != nil {
		return false, err
	}
	start := time.Now()
	ok, err := h.verify(hash, password, false)
	release()
	h.floor.pad(hashKind(hash), start)
	return ok, err
}

// Verifiable reports whether a stored hash is one this server checks
// passwords against within its bounds (its own, one of Django's, or an
// unusable one), without checking any password: what an import asks of
// each account it takes.
func (h *Hasher) Verifiable(hash string) bool {
	if hash == "" || strings.HasPrefix(hash, "!") {
		return true
	}
	_, err := h.verify(hash, "", true)
	return err == nil
}

// verify checks password against hash, once a slot is held; with dry set,
// it only parses hash and checks its bounds.
func (h *Hasher) verify(hash, password string, dry bool) (bool, error) {
	if !strings.HasPrefix(hash, "$") {
		ok, known, err := h.verifyDjango(hash, password, dry)
		if !known {
			return false, errMalformed
		}
		return ok, err
	}
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
	if !p.sane() {
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
	if dry {
		return false, nil
	}
	got := idKey([]byte(password), salt, p, uint32(len(want))) // #nosec G115 -- len(want) <= 1024, checked above
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// sane reports whether p is a cost a stored hash may ask for. A stored hash
// is trusted input, but a corrupted one must neither panic argon2 nor make
// every login allocate hundreds of megabytes: 128 MiB is over six times
// our default and above Django's (100 MiB, t=2, p=8).
func (p Params) sane() bool {
	return p.MemoryKiB <= 128<<10 && p.MemoryKiB >= 8*uint32(p.Threads) && p.Time >= 1 && p.Time <= 16 && p.Threads >= 1 && p.Threads <= 64
}

// NeedsRehash reports whether hash should be replaced by one of ours at
// the next successful login: any hash of another kind (an imported
// Django one) or with other parameters, as Django's must_update does.
func (h *Hasher) NeedsRehash(hash string) bool {
	return hashKind(hash) != h.kind
}

// hashKind names a hash's algorithm and costs, everything before its salt:
// hashes of one kind cost one time to check.
func hashKind(hash string) string {
	if strings.HasPrefix(hash, "$argon2id$") {
		if i := strings.LastIndexByte(hash, '$'); i > 0 {
			if j := strings.LastIndexByte(hash[:i], '$'); j > 0 {
				return hash[:j]
			}
		}
		return hash
	}
	algorithm, rest, _ := strings.Cut(hash, "$")
	switch algorithm {
	case "pbkdf2_sha256", "pbkdf2_sha1": // iterations
		cost, _, _ := strings.Cut(rest, "$")
		return algorithm + "$" + cost
	case "bcrypt", "bcrypt_sha256": // "$2b$12$…"
		if len(rest) >= 7 {
			return algorithm + "$" + rest[:7]
		}
	case "argon2": // "argon2id$v=19$m=…,t=…,p=…$salt$key"
		if parts := strings.SplitN(rest, "$", 4); len(parts) == 4 {
			return algorithm + "$" + strings.Join(parts[:3], "$")
		}
	}
	return algorithm
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
