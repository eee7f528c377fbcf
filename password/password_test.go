package password

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
)

// cheap keeps the tests fast; only TestHashDefaultParams pays the real cost.
var cheap = Params{MemoryKiB: 64, Time: 1, Threads: 1}

func newHasher(t *testing.T, p Params) *Hasher {
	t.Helper()
	h, err := NewHasher(p)
	if err != nil {
		t.Fatalf("NewHasher(%+v) = %v", p, err)
	}
	return h
}

func newPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := NewPolicy()
	if err != nil {
		t.Fatalf("NewPolicy() = %v", err)
	}
	return p
}

func mustHash(t *testing.T, h *Hasher, password string) string {
	t.Helper()
	hash, err := h.Hash(password)
	if err != nil {
		t.Fatalf("Hash(%q) = %v", password, err)
	}
	return hash
}

// phc is the PHC string format with a 16-byte salt and a 32-byte key, both
// in unpadded standard base64.
var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashFormat(t *testing.T) {
	h := newHasher(t, cheap)
	hash := mustHash(t, h, "correct horse battery staple")
	m := phc.FindStringSubmatch(hash)
	if m == nil {
		t.Fatalf("Hash() = %q, want a PHC string matching %s", hash, phc)
	}
	if diff := cmp.Diff([]string{"64", "1", "1"}, m[1:]); diff != "" {
		t.Errorf("Hash() parameters mismatch (-want +got):\n%s", diff)
	}
}

func TestHashDefaultParams(t *testing.T) {
	h := newHasher(t, DefaultParams)
	hash := mustHash(t, h, "correct horse battery staple")
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(hash, want) {
		t.Errorf("Hash() = %q, want prefix %q", hash, want)
	}
	if !phc.MatchString(hash) {
		t.Errorf("Hash() = %q, want a PHC string matching %s", hash, phc)
	}
	ok, err := h.Verify(hash, "correct horse battery staple")
	if err != nil || !ok {
		t.Errorf("Verify(hash, right password) = %v, %v; want true, nil", ok, err)
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{MemoryKiB: 64, Time: 0, Threads: 1},
		{MemoryKiB: 64, Time: 1, Threads: 0},
		{MemoryKiB: 7, Time: 1, Threads: 1},
		{MemoryKiB: 15, Time: 1, Threads: 2},
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			if h, err := NewHasher(p); err == nil {
				t.Errorf("NewHasher(%+v) = %v, nil; want an error", p, h)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	h := newHasher(t, cheap)
	const password = "correct horse battery staple"
	hash := mustHash(t, h, password)
	for _, tc := range []struct {
		name     string
		password string
		want     bool
	}{
		{"right password", password, true},
		{"wrong password", "incorrect horse battery staple", false},
		{"different case", strings.ToUpper(password), false},
		{"trailing space", password + " ", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.Verify(hash, tc.password)
			if err != nil {
				t.Fatalf("Verify(hash, %q) error = %v", tc.password, err)
			}
			if got != tc.want {
				t.Errorf("Verify(hash, %q) = %v, want %v", tc.password, got, tc.want)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	h := newHasher(t, cheap)
	a := mustHash(t, h, "same password")
	b := mustHash(t, h, "same password")
	if a == b {
		t.Fatalf("Hash() twice = %q both times, want different salts", a)
	}
	for _, hash := range []string{a, b} {
		if ok, err := h.Verify(hash, "same password"); err != nil || !ok {
			t.Errorf("Verify(%q, right password) = %v, %v; want true, nil", hash, ok, err)
		}
	}
}

func TestVerifyReadsParamsFromHash(t *testing.T) {
	old := newHasher(t, Params{MemoryKiB: 128, Time: 2, Threads: 2})
	hash := mustHash(t, old, "s3cret-Passphrase")
	if !strings.Contains(hash, "$m=128,t=2,p=2$") {
		t.Fatalf("Hash() = %q, want parameters m=128,t=2,p=2", hash)
	}
	// A hasher with other parameters, as after a cost increase.
	h := newHasher(t, cheap)
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"s3cret-Passphrase", true},
		{"s3cret-passphrase", false},
	} {
		t.Run(tc.password, func(t *testing.T) {
			got, err := h.Verify(hash, tc.password)
			if err != nil || got != tc.want {
				t.Errorf("Verify(hash, %q) = %v, %v; want %v, nil", tc.password, got, err, tc.want)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := newHasher(t, cheap)
	good := mustHash(t, h, "password")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	withParams := func(params string) string {
		return "$argon2id$v=19$" + params + "$" + salt + "$" + key
	}
	for _, tc := range []struct {
		name string
		hash string
	}{
		{"plain text", "password"},
		{"django pbkdf2", "pbkdf2_sha256$870000$c2FsdA$aGFzaA="},
		{"bcrypt", "$2b$12$abcdefghijklmnopqrstuuQb2sSgQx4Y0oT5nJg5c7mXyZ0gH5VZe"},
		{"argon2i", strings.Replace(good, "$argon2id$", "$argon2i$", 1)},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"extra segment", good + "$extra"},
		{"missing key", strings.TrimSuffix(good, "$"+key)},
		{"version 16", strings.Replace(good, "$v=19$", "$v=16$", 1)},
		{"version missing", strings.Replace(good, "$v=19$", "$19$", 1)},
		{"params missing", withParams("")},
		{"params garbage", withParams("m=x,t=1,p=1")},
		{"params negative", withParams("m=-64,t=1,p=1")},
		{"memory max uint32", withParams("m=4294967295,t=1,p=1")},
		{"memory overflows uint32", withParams("m=99999999999,t=1,p=1")},
		{"memory 4 GiB", withParams("m=4194304,t=1,p=1")},
		{"time 65", withParams("m=64,t=65,p=1")},
		{"time huge", withParams("m=64,t=4294967295,p=1")},
		{"threads 0", withParams("m=64,t=1,p=0")},
		{"threads overflow uint8", withParams("m=64,t=1,p=256")},
		{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"key not base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$!!!!"},
		{"key empty", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
		{"key padded base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := h.Verify(tc.hash, "password")
			if err == nil || ok {
				t.Errorf("Verify(%q, password) = %v, %v; want false and an error", tc.hash, ok, err)
			}
		})
	}
}

func TestVerifyZeroTime(t *testing.T) {
	h := newHasher(t, cheap)
	parts := strings.Split(mustHash(t, h, "password"), "$")
	hash := "$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5]
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Verify(%q, password) panicked: %v", hash, r)
		}
	}()
	if ok, err := h.Verify(hash, "password"); err == nil || ok {
		t.Errorf("Verify(%q, password) = %v, %v; want false and an error", hash, ok, err)
	}
}

func TestVerifyDummy(t *testing.T) {
	h := newHasher(t, cheap)
	for _, password := range []string{"", "password", strings.Repeat("x", healthcare.MaxPasswordLength)} {
		h.VerifyDummy(password) // must not panic
	}
}

func TestPolicyLen(t *testing.T) {
	p := newPolicy(t)
	if got := p.Len(); got < 20000 {
		t.Errorf("Policy.Len() = %d, want at least 20000", got)
	}
}

func TestPolicyCommonListContents(t *testing.T) {
	p := newPolicy(t)
	for _, tc := range []struct {
		word string
		want bool
	}{
		{"password123", true},
		{"qwertyuiop", true},
		{"1234567", true},
		{"12345", true},
		{"zorbatron99", false},
		{"correct-horse-battery-9", false},
		{"83950172", false},
	} {
		t.Run(tc.word, func(t *testing.T) {
			if _, got := p.common[tc.word]; got != tc.want {
				t.Errorf("common[%q] = %v, want %v", tc.word, got, tc.want)
			}
		})
	}
}

const (
	msgShort   = "This password is too short. It must contain at least 8 characters."
	msgCommon  = "This password is too common."
	msgNumeric = "This password is entirely numeric."
	msgTooLong = "Ensure this field has no more than 1024 characters."
)

func msgSimilar(attr string) string { return "The password is too similar to the " + attr + "." }

func TestPolicyCheck(t *testing.T) {
	p := newPolicy(t)
	alice := healthcare.Registration{Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell"}
	for _, tc := range []struct {
		name     string
		password string
		reg      healthcare.Registration
		want     []string
	}{
		{"strong", "correct-Horse-battery-9", alice, nil},
		{"strong without attributes", "correct-Horse-battery-9", healthcare.Registration{}, nil},
		{"exactly 8 characters", "Vq7#mZ2!", alice, nil},
		{"too short", "Vq7#mZ2", alice, []string{msgShort}},
		{"empty", "", alice, []string{msgShort}},
		{"short counts characters not bytes", "ĉĝĥĵŝŭ", alice, []string{msgShort}},
		{"8 multi-byte characters", "ĉĝĥĵŝŭĉĝ", alice, nil},
		// Length counts what shows (NIST SP 800-63B): blanks and invisible
		// code points do not make a password long.
		{"twelve spaces", strings.Repeat(" ", 12), alice, []string{msgShort}},
		{"twelve tabs", strings.Repeat("\t", 12), alice, []string{msgShort}},
		{"padded with zero-width spaces", "Zz9!" + strings.Repeat("\u200b", 10), alice, []string{msgShort}},
		{"padded with joiners and a BOM", "Zz9!\u200d\u2060\ufeff\u00ad\ufe0f\u200c\u180e", alice, []string{msgShort}},
		{"padded with no-break and ideographic spaces", "Zz9!\u00a0\u3000\u2003\u202f", alice, []string{msgShort}},
		{"spaces inside a passphrase", "blue ox  jumps", alice, nil},
		{"one character that NFKC expands is one", "\ufdfa", alice, []string{msgShort}},
		{"two that NFKC expands are two", "\u3300\u3300", alice, []string{msgShort}},
		{"ligatures count as typed", "ﬁﬁﬁﬁ", alice, []string{msgShort}},
		{"Braille blanks", strings.Repeat("\u2800", 8), alice, []string{msgShort}},
		{"Hangul fillers", strings.Repeat("\u3164", 8), alice, []string{msgShort}},
		{"combining marks", "Zz9!" + strings.Repeat("\u0301", 10), alice, []string{msgShort}},
		{"Thai marks", strings.Repeat("\u0e47", 8), alice, []string{msgShort}},
		{"skin tones", strings.Repeat("\U0001F3FB", 8), alice, []string{msgShort}},
		{"marks on letters still count the letters", "żółćźńąę", alice, nil},
		{"common in fullwidth", "Ｐａｓｓｗｏｒｄ", alice, []string{msgCommon}},
		{"common with a zero-width space", "password\u200b", alice, []string{msgCommon}},
		{"7 visible among spaces", " V q 7 # m Z 2 ", alice, []string{msgShort}},
		{"common", "password123", alice, []string{msgCommon}},
		{"common keyboard walk", "qwertyuiop", alice, []string{msgCommon}},
		{"common ignores case", "PassWord123", alice, []string{msgCommon}},
		{"common ignores surrounding spaces", "  password123 ", alice, []string{msgCommon}},
		{"entirely numeric", "83950172", alice, []string{msgNumeric}},
		{"digits with a letter", "83950172a", alice, nil},
		{"similar to username", "johnsmith1", healthcare.Registration{Username: "johnsmith", Email: "kq@example.org"}, []string{msgSimilar("username")}},
		{"similar to username ignores case", "JOHNSMITH1", healthcare.Registration{Username: "johnsmith"}, []string{msgSimilar("username")}},
		{"similar to email address", "zorbatron99", healthcare.Registration{Username: "kq", Email: "zorbatron@example.com"}, []string{msgSimilar("email address")}},
		{"similar to first name", "maximiliano7", healthcare.Registration{Username: "kq", FirstName: "Maximiliano"}, []string{msgSimilar("first name")}},
		{"similar to last name", "wolfeschlegel!", healthcare.Registration{Username: "kq", LastName: "Wolfeschlegel"}, []string{msgSimilar("last name")}},
		{
			"only the first similar attribute is named",
			"johnsmith1",
			healthcare.Registration{Username: "johnsmith", Email: "johnsmith@example.com", FirstName: "Johnsmith"},
			[]string{msgSimilar("username")},
		},
		{
			"short value far shorter than the password is ignored",
			"correct-Horse-battery-9",
			healthcare.Registration{Username: "co"},
			nil,
		},
		{"short, common and numeric", "1234567", alice, []string{msgShort, msgCommon, msgNumeric}},
		{"common and numeric", "12345678", alice, []string{msgCommon, msgNumeric}},
		{
			"similar, short, common and numeric",
			"12345",
			healthcare.Registration{Username: "12345", Email: "n@example.com"},
			[]string{msgSimilar("username"), msgShort, msgCommon, msgNumeric},
		},
		{"1024 bytes is allowed", strings.Repeat("Xy7-", 256), alice, nil},
		{"over 1024 characters", strings.Repeat("Xy7-", 256) + "a", alice, []string{msgTooLong}},
		{"1024 characters of two bytes", strings.Repeat("Ä", 1024), alice, nil},
		{"over 1024 characters breaking every other rule", strings.Repeat("1", 1025), healthcare.Registration{Username: strings.Repeat("1", 200)}, []string{msgTooLong}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := p.Check(tc.password, tc.reg)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check(%.40q, %+v) mismatch (-want +got):\n%s", tc.password, tc.reg, diff)
			}
		})
	}
}

func TestPolicyCheckUnicodeDigits(t *testing.T) {
	p := newPolicy(t)
	for password, want := range map[string][]string{
		"١٢٣٤٥٦٧٨": {msgNumeric},
		"１２３４５６７８": {msgCommon, msgNumeric}, // NFKC: 12345678
	} {
		t.Run(password, func(t *testing.T) {
			got := p.Check(password, healthcare.Registration{})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Check(%q) mismatch (-want +got):\n%s", password, diff)
			}
		})
	}
}

func TestHasherConcurrencyBound(t *testing.T) {
	h := newHasher(t, cheap)
	h.Limit(1, 20*time.Millisecond)
	release, err := h.acquire()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = h.Hash("some password")
	if healthcare.ErrorCode(err) != healthcare.EUNAVAILABLE {
		t.Fatalf("Hash with every slot taken = %v, want service_unavailable", err)
	}
	var e *healthcare.Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 {
		t.Errorf("error %v carries no RetryAfter", err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("gave up after %v, want the configured wait first", waited)
	}
	if _, err := h.Verify("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "x"); healthcare.ErrorCode(err) != healthcare.EUNAVAILABLE {
		t.Errorf("Verify with every slot taken = %v", err)
	}
	if err := h.VerifyDummy("x"); healthcare.ErrorCode(err) != healthcare.EUNAVAILABLE {
		t.Errorf("VerifyDummy with every slot taken = %v", err)
	}
	release()
	if _, err := h.Hash("some password"); err != nil {
		t.Errorf("Hash after release = %v", err)
	}
}
