package password

import (
	"crypto/pbkdf2"
	"crypto/sha1" // #nosec G505 -- verifies pbkdf2_sha1 hashes a Django deployment stored; rehashed at first login
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// The hashes a Django deployment stores, kept as they are when its
// accounts are imported and verified here until the account's first login
// replaces them with ours (NeedsRehash). An unusable password ("!…", as
// Django's set_unusable_password writes) never matches.

// Bounds on what a stored hash may ask for: it is trusted input, but a
// corrupted one must not make a login run for minutes.
// They sit above what Django's current releases write (PBKDF2 1,200,000
// iterations in 6.0, bcrypt cost 12, argon2 100 MiB), since each login of
// an account whose hash is costlier pads every other login to its time
// (floor.go); the import refuses hashes beyond them (Verifiable).
const (
	maxPBKDF2Iterations = 3_000_000
	maxBcryptCost       = 14
)

// verifyDjango checks password against one of Django's hash formats. ok
// false, known true: a Django hash that does not match.
//
// With dry set, the hash is only parsed and its bounds checked.
func (h *Hasher) verifyDjango(encoded, password string, dry bool) (ok, known bool, err error) {
	algorithm, rest, _ := strings.Cut(encoded, "$")
	switch algorithm {
	case "pbkdf2_sha256":
		ok, err = verifyPBKDF2(sha256.New, rest, password, dry)
	case "pbkdf2_sha1":
		ok, err = verifyPBKDF2(sha1.New, rest, password, dry)
	case "argon2":
		ok, err = h.verifyDjangoArgon2(rest, password, dry)
	case "bcrypt_sha256":
		sum := sha256.Sum256([]byte(password))
		ok, err = verifyBcrypt(rest, hex.EncodeToString(sum[:]), dry)
	case "bcrypt":
		ok, err = verifyBcrypt(rest, password, dry)
	default:
		return false, false, nil
	}
	return ok, true, err
}

// verifyPBKDF2 checks Django's "iterations$salt$base64(key)".
func verifyPBKDF2(h func() hash.Hash, rest, password string, dry bool) (bool, error) {
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return false, errMalformed
	}
	iterations, err := strconv.Atoi(parts[0])
	if err != nil || iterations < 1 || iterations > maxPBKDF2Iterations {
		return false, errMalformed
	}
	want, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false, errMalformed
	}
	if dry {
		return false, nil
	}
	got, err := pbkdf2.Key(h, password, []byte(parts[1]), iterations, len(want))
	if err != nil {
		return false, fmt.Errorf("pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifyDjangoArgon2 checks argon2-cffi's encoding, which Django stores
// after "argon2": "argon2id$v=19$m=…,t=…,p=…$salt$key" (or argon2i).
func (h *Hasher) verifyDjangoArgon2(rest, password string, dry bool) (bool, error) {
	parts := strings.Split(rest, "$")
	if len(parts) != 5 || (parts[0] != "argon2id" && parts[0] != "argon2i") || parts[1] != "v=19" {
		return false, errMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil || !p.sane() {
		return false, errMalformed
	}
	salt, err := b64.DecodeString(parts[3])
	if err != nil {
		return false, errMalformed
	}
	want, err := b64.DecodeString(parts[4])
	if err != nil || len(want) == 0 || len(want) > 1024 {
		return false, errMalformed
	}
	if dry {
		return false, nil
	}
	key := argon2.IDKey
	if parts[0] == "argon2i" {
		key = argon2.Key
	}
	got := key([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want))) // #nosec G115 -- len(want) <= 1024
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// verifyBcrypt checks a bcrypt hash ("$2b$12$…"). Python's bcrypt and
// Django's hasher use the first 72 bytes of a password; Go's refuses a
// longer one, so it is cut as they cut it.
func verifyBcrypt(encoded, password string, dry bool) (bool, error) {
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil || cost > maxBcryptCost {
		return false, errMalformed
	}
	if dry {
		return false, nil
	}
	if len(password) > 72 {
		password = password[:72]
	}
	switch err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)); err {
	case nil:
		return true, nil
	case bcrypt.ErrMismatchedHashAndPassword:
		return false, nil
	default:
		return false, errMalformed
	}
}
