package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// djangoHashes are what a Django deployment stores for "s3cret-passw0rd",
// in each format its hashers write, made here as Django makes them.
func djangoHashes(t *testing.T, password string) map[string]string {
	t.Helper()
	pb := func(name string, h func() hash.Hash, iterations, size int) string {
		key, err := pbkdf2.Key(h, password, []byte("abcdefghijkl"), iterations, size)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s$%d$abcdefghijkl$%s", name, iterations, base64.StdEncoding.EncodeToString(key))
	}
	sum := sha256.Sum256([]byte(password))
	bsha, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(sum[:])), 4)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("saltsaltsaltsalt")
	a2id := argon2.IDKey([]byte(password), salt, 2, 512, 2, 32)
	a2i := argon2.Key([]byte(password), salt, 2, 512, 2, 32)
	return map[string]string{
		"pbkdf2_sha256": pb("pbkdf2_sha256", sha256.New, 1000, 32),
		"pbkdf2_sha1":   pb("pbkdf2_sha1", sha1.New, 1000, 20),
		"argon2id":      "argon2$argon2id$v=19$m=512,t=2,p=2$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(a2id),
		"argon2i":       "argon2$argon2i$v=19$m=512,t=2,p=2$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(a2i),
		"bcrypt_sha256": "bcrypt_sha256$" + string(bsha),
		"bcrypt":        "bcrypt$" + string(plain),
	}
}

// Django's hashes verify as Django verifies them, and each needs
// replacing by ours; an unusable password never matches.
func TestVerifyDjangoHashes(t *testing.T) {
	h := newHasher(t, cheap)
	for name, hash := range djangoHashes(t, "s3cret-passw0rd") {
		if ok, err := h.Verify(hash, "s3cret-passw0rd"); !ok || err != nil {
			t.Errorf("%s: Verify(right password) = %v, %v", name, ok, err)
		}
		if ok, err := h.Verify(hash, "s3cret-passw0rd!"); ok || err != nil {
			t.Errorf("%s: Verify(wrong password) = %v, %v", name, ok, err)
		}
		if !h.NeedsRehash(hash) {
			t.Errorf("%s: NeedsRehash = false", name)
		}
	}
	ours, err := h.Hash("s3cret-passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	if h.NeedsRehash(ours) {
		t.Error("NeedsRehash(our own hash) = true")
	}
	for _, unusable := range []string{"!", "!Xk3a9fZ0wq", ""} {
		if ok, err := h.Verify(unusable, ""); ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", unusable, ok, err)
		}
	}
	for _, bad := range []string{"pbkdf2_sha256$99999999999$s$a2V5", "pbkdf2_sha256$x$s$a2V5", "bcrypt$$2b$31$" + strings.Repeat("a", 53),
		"argon2$argon2id$v=16$m=512,t=2,p=2$c2FsdA$a2V5", "argon2$argon2d$v=19$m=512,t=2,p=2$c2FsdA$a2V5", "md5$s$x", "sha1$x$y"} {
		if ok, err := h.Verify(bad, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

// A verification lasts as long as the slowest kind of hash in recent use,
// so that how long a login takes tells nothing of the hash it checked.
func TestFloorPadsToTheSlowestKind(t *testing.T) {
	var slept []time.Duration
	f := &floor{sleep: func(d time.Duration) { slept = append(slept, d) }}
	now := time.Now()
	f.pad("slow", now.Add(-100*time.Millisecond))
	f.pad("fast", now.Add(-10*time.Millisecond))
	f.wait(0)
	if len(slept) != 2 || slept[0] < 85*time.Millisecond || slept[1] < 95*time.Millisecond {
		t.Errorf("slept %v; want the fast check and the unhashed one padded to about 100 ms", slept)
	}
	for range 30 { // the slow kind speeds up: its average follows, not its worst
		f.pad("slow", time.Now().Add(-10*time.Millisecond))
	}
	slept = nil
	f.pad("fast", time.Now().Add(-10*time.Millisecond))
	if len(slept) > 0 && slept[0] > 5*time.Millisecond {
		t.Errorf("slept %v once both kinds take 10 ms", slept)
	}
}

// Hashes made by Django 3.2's own hashers (make_password), for
// "s3cret-Passw0rd ü": what an imported database holds.
var djangoMade = map[string]string{
	"pbkdf2_sha256": "pbkdf2_sha256$260000$Trg1sm3bQzgqx5ynVWKl9i$heMhf7BqwYhuzpfAcgMY/aS8OF/Pwi4+0AyaW+7whI0=",
	"pbkdf2_sha1":   "pbkdf2_sha1$260000$T6rJdp0YEMFFDGkrVwntqA$+rF/s+IDu4tmyd1JtFw8bv9gQMY=",
	"argon2":        "argon2$argon2id$v=19$m=102400,t=2,p=8$UlNiM2hySW80dkFpT3o0b2NNeTJqZA$nCcbGdZSAFWRxuhxf9lZvQ",
	"bcrypt_sha256": "bcrypt_sha256$$2b$12$uiMyQ3l4z0RQC6LJWaeefO50/UMIlL1YwQIQiGs8o8GFevmcHfMci",
	"bcrypt":        "bcrypt$$2b$12$HluOF4Ta7Mb7S8U/61Ci3e3PjNgq2rlZJxHrQTtfrnFwmdndW733G",
}

func TestVerifyHashesMadeByDjango(t *testing.T) {
	h := newHasher(t, cheap)
	for name, hash := range djangoMade {
		if ok, err := h.Verify(hash, "s3cret-Passw0rd ü"); !ok || err != nil {
			t.Errorf("%s: Verify(right password) = %v, %v", name, ok, err)
		}
		if ok, err := h.Verify(hash, "s3cret-Passw0rd u"); ok || err != nil {
			t.Errorf("%s: Verify(wrong password) = %v, %v", name, ok, err)
		}
	}
}

// What an import may take: every hash Django's own hashers make, ours,
// unusable ones; not hashes this server cannot check, nor ones whose cost
// would make a login (and, padded to it, every login) take seconds or
// hundreds of megabytes.
func TestVerifiable(t *testing.T) {
	h := newHasher(t, cheap)
	own, err := h.Hash("s3cret-Passw0rd ü")
	if err != nil {
		t.Fatal(err)
	}
	for name, hash := range djangoMade {
		if !h.Verifiable(hash) {
			t.Errorf("%s made by Django: not verifiable", name)
		}
	}
	for _, hash := range []string{own, "", "!", "!unusable-set-by-django"} {
		if !h.Verifiable(hash) {
			t.Errorf("Verifiable(%q) = false", hash)
		}
	}
	for _, hash := range []string{
		"md5$salt$0123456789abcdef0123456789abcdef",
		"sha1$salt$0123456789abcdef0123456789abcdef01234567",
		"crypt$$abN0.0dJ3v4LM",
		"pbkdf2_sha256$20000000$salt$heMhf7BqwYhuzpfAcgMY/aS8OF/Pwi4+0AyaW+7whI0=",
		"argon2$argon2id$v=19$m=262144,t=1,p=1$UlNiM2hySW80dkFpT3o0b2NNeTJqZA$nCcbGdZSAFWRxuhxf9lZvQ",
		"argon2$argon2id$v=19$m=102400,t=200,p=8$UlNiM2hySW80dkFpT3o0b2NNeTJqZA$nCcbGdZSAFWRxuhxf9lZvQ",
		"bcrypt_sha256$$2b$31$uiMyQ3l4z0RQC6LJWaeefO50/UMIlL1YwQIQiGs8o8GFevmcHfMci",
		"pbkdf2_sha256$260000$salt",
		"garbage",
	} {
		if h.Verifiable(hash) {
			t.Errorf("Verifiable(%q) = true", hash)
		}
	}
}
