package jwt

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
)

var (
	testKey = []byte("test-signing-key-with-at-least-32-random-bytes")
	t0      = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
)

const (
	accessTTL  = 5 * time.Minute
	refreshTTL = 24 * time.Hour
)

func newSigner(t *testing.T, key []byte) *Signer {
	t.Helper()
	s, err := NewSigner(key, accessTTL, refreshTTL)
	if err != nil {
		t.Fatalf("NewSigner() = %v", err)
	}
	return s
}

func issue(t *testing.T, s *Signer, tokenType string, userID int64, now time.Time) string {
	t.Helper()
	tok, _, err := s.Issue(tokenType, userID, 0, now)
	if err != nil {
		t.Fatalf("Issue(%q, %d, %v) = %v", tokenType, userID, now, err)
	}
	return tok
}

// forge signs claims with method and key, bypassing Signer.
func forge(t *testing.T, method gojwt.SigningMethod, key []byte, claims gojwt.MapClaims) string {
	t.Helper()
	tok, err := gojwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("SignedString(%s) = %v", method.Alg(), err)
	}
	return tok
}

// validClaims are the claims of an access token issued at t0 for user 42.
func validClaims() gojwt.MapClaims {
	return gojwt.MapClaims{
		"token_type": "access",
		"exp":        t0.Add(accessTTL).Unix(),
		"iat":        t0.Unix(),
		"jti":        "0123456789abcdef0123456789abcdef",
		"user_id":    42,
	}
}

func without(c gojwt.MapClaims, name string) gojwt.MapClaims {
	delete(c, name)
	return c
}

func with(c gojwt.MapClaims, name string, v any) gojwt.MapClaims {
	c[name] = v
	return c
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%v) = %v", v, err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("decode segment %q: %v", seg, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal segment %s: %v", b, err)
	}
	return m
}

func TestNewSigner(t *testing.T) {
	for _, tc := range []struct {
		name            string
		key             []byte
		access, refresh time.Duration
		wantErr         bool
	}{
		{"valid", testKey, accessTTL, refreshTTL, false},
		{"nil key", nil, accessTTL, refreshTTL, true},
		{"empty key", []byte{}, accessTTL, refreshTTL, true},
		{"zero access lifetime", testKey, 0, refreshTTL, true},
		{"negative access lifetime", testKey, -time.Minute, refreshTTL, true},
		{"zero refresh lifetime", testKey, accessTTL, 0, true},
		{"negative refresh lifetime", testKey, accessTTL, -time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSigner(tc.key, tc.access, tc.refresh)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("NewSigner(%q, %v, %v) error = %v, want error %v", tc.key, tc.access, tc.refresh, err, tc.wantErr)
			}
			if tc.wantErr && s != nil {
				t.Errorf("NewSigner(%q, %v, %v) = %v, want nil with the error", tc.key, tc.access, tc.refresh, s)
			}
		})
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	s := newSigner(t, testKey)
	for _, tc := range []struct {
		tokenType string
		ttl       time.Duration
	}{
		{healthcare.AccessToken, accessTTL},
		{healthcare.RefreshToken, refreshTTL},
	} {
		t.Run(tc.tokenType, func(t *testing.T) {
			tok, issued, err := s.Issue(tc.tokenType, 42, 0, t0)
			if err != nil {
				t.Fatalf("Issue(%q, 42, t0) = %v", tc.tokenType, err)
			}
			if _, err := hex.DecodeString(issued.ID); err != nil || len(issued.ID) != 32 {
				t.Errorf("Issue(%q, 42, t0) jti = %q, want 32 hex digits", tc.tokenType, issued.ID)
			}
			want := healthcare.TokenClaims{
				Type:      tc.tokenType,
				UserID:    42,
				ID:        issued.ID,
				IssuedAt:  t0,
				ExpiresAt: t0.Add(tc.ttl),
			}
			if diff := cmp.Diff(want, issued); diff != "" {
				t.Errorf("Issue(%q, 42, t0) claims mismatch (-want +got):\n%s", tc.tokenType, diff)
			}
			for _, now := range []time.Time{t0, t0.Add(tc.ttl - time.Second), t0.Add(tc.ttl), t0.Add(tc.ttl + Leeway - time.Second)} {
				got, err := s.Verify(tok, tc.tokenType, now)
				if err != nil {
					t.Fatalf("Verify(token, %q, t0+%v) = %v", tc.tokenType, now.Sub(t0), err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Verify(token, %q, t0+%v) mismatch (-want +got):\n%s", tc.tokenType, now.Sub(t0), diff)
				}
			}
		})
	}
}

func TestIssueUniqueJTI(t *testing.T) {
	s := newSigner(t, testKey)
	_, a, err := s.Issue(healthcare.RefreshToken, 1, 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := s.Issue(healthcare.RefreshToken, 1, 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID {
		t.Errorf("Issue() twice gave jti %q both times, want distinct", a.ID)
	}
}

// TestTokenFormat checks the token reads as simplejwt's: the same header and
// exactly the same claim names.
func TestTokenFormat(t *testing.T) {
	s := newSigner(t, testKey)
	for _, tc := range []struct {
		tokenType string
		ttl       time.Duration
	}{
		{healthcare.AccessToken, accessTTL},
		{healthcare.RefreshToken, refreshTTL},
	} {
		t.Run(tc.tokenType, func(t *testing.T) {
			tok, issued, err := s.Issue(tc.tokenType, 7, 0, t0)
			if err != nil {
				t.Fatalf("Issue(%q, 7, t0) = %v", tc.tokenType, err)
			}
			segs := strings.Split(tok, ".")
			if len(segs) != 3 {
				t.Fatalf("Issue() = %q, want three dot-separated segments", tok)
			}
			header := decodeSegment(t, segs[0])
			if kid, _ := header["kid"].(string); len(kid) != 16 || strings.Contains(kid, string(s.key)) {
				t.Errorf("kid = %v, want 16 hex digits naming the key", header["kid"])
			}
			delete(header, "kid")
			wantHeader := map[string]any{"alg": "HS256", "typ": "JWT"}
			if diff := cmp.Diff(wantHeader, header); diff != "" {
				t.Errorf("Issue(%q) header mismatch (-want +got):\n%s", tc.tokenType, diff)
			}
			payload := decodeSegment(t, segs[1])
			var names []string
			for k := range payload {
				names = append(names, k)
			}
			slices.Sort(names)
			if diff := cmp.Diff([]string{"exp", "iat", "jti", "token_type", "user_id"}, names); diff != "" {
				t.Errorf("Issue(%q) claim names mismatch (-want +got):\n%s", tc.tokenType, diff)
			}
			wantPayload := map[string]any{
				"token_type": tc.tokenType,
				"exp":        float64(t0.Add(tc.ttl).Unix()),
				"iat":        float64(t0.Unix()),
				"jti":        issued.ID,
				"user_id":    float64(7),
			}
			if diff := cmp.Diff(wantPayload, payload); diff != "" {
				t.Errorf("Issue(%q) payload mismatch (-want +got):\n%s", tc.tokenType, diff)
			}
		})
	}
}

// TestVerifyAcceptsForeignHS256 shows the verifier takes any well-formed
// HS256 token with simplejwt's claims, as one signed by the Django service.
func TestVerifyAcceptsForeignHS256(t *testing.T) {
	s := newSigner(t, testKey)
	tok := forge(t, gojwt.SigningMethodHS256, testKey, validClaims())
	got, err := s.Verify(tok, healthcare.AccessToken, t0)
	if err != nil {
		t.Fatalf("Verify(forged HS256, access, t0) = %v", err)
	}
	want := healthcare.TokenClaims{
		Type: "access", UserID: 42, ID: "0123456789abcdef0123456789abcdef",
		IssuedAt: t0, ExpiresAt: t0.Add(accessTTL), Foreign: true, // it names no key
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verify(forged HS256, access, t0) mismatch (-want +got):\n%s", diff)
	}
}

func TestVerifyLeeway(t *testing.T) {
	s := newSigner(t, testKey)
	access := issue(t, s, healthcare.AccessToken, 42, t0)
	exp := t0.Add(accessTTL)
	for _, tc := range []struct {
		name  string
		token string
		now   time.Time
		ok    bool
	}{
		{"at exp", access, exp, true},
		{"within leeway after exp", access, exp.Add(Leeway - time.Second), true},
		{"at exp plus leeway", access, exp.Add(Leeway), false},
		{"past exp plus leeway", access, exp.Add(Leeway + time.Second), false},
		{"a day late", access, exp.Add(24 * time.Hour), false},
		{"iat within leeway in the future", issue(t, s, healthcare.AccessToken, 42, t0.Add(Leeway)), t0, true},
		{"iat beyond leeway in the future", issue(t, s, healthcare.AccessToken, 42, t0.Add(Leeway+time.Second)), t0, false},
		{"iat an hour in the future", issue(t, s, healthcare.AccessToken, 42, t0.Add(time.Hour)), t0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(tc.token, healthcare.AccessToken, tc.now)
			if tc.ok {
				if err != nil {
					t.Errorf("Verify(token, access, %v) = %v, want nil", tc.now, err)
				}
				return
			}
			checkInvalid(t, err)
		})
	}
}

// checkInvalid fails unless err is the *healthcare.Error for a bad token.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Verify() = nil error, want token_not_valid")
	}
	var e *healthcare.Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify() error = %#v, want a *healthcare.Error", err)
	}
	if got := healthcare.ErrorCode(err); got != healthcare.ETOKENINVALID {
		t.Errorf("ErrorCode(Verify()) = %q, want %q", got, healthcare.ETOKENINVALID)
	}
	if got := healthcare.ErrorMessage(err); !slices.Contains([]string{healthcare.MsgTokenInvalid, healthcare.MsgTokenWrongType,
		healthcare.MsgTokenNoType, healthcare.MsgTokenNoID, healthcare.MsgTokenNoUser}, got) {
		t.Errorf("ErrorMessage(Verify()) = %q, want %q", got, healthcare.MsgTokenInvalid)
	}
}

func TestVerifyRejects(t *testing.T) {
	s := newSigner(t, testKey)
	access := issue(t, s, healthcare.AccessToken, 42, t0)
	refresh := issue(t, s, healthcare.RefreshToken, 42, t0)
	segs := strings.Split(access, ".")
	header, payload, sig := segs[0], segs[1], segs[2]

	noneToken := func(alg string) string {
		return b64JSON(t, map[string]string{"alg": alg, "typ": "JWT"}) + "." + payload + "."
	}
	tampered := decodeSegment(t, payload)
	tampered["user_id"] = 1
	tamperedPayload := b64JSON(t, tampered)

	// A correctly signed token just over the limit, which would otherwise pass.
	long := forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "pad", strings.Repeat("x", MaxTokenBytes)))

	for _, tc := range []struct {
		name      string
		token     string
		tokenType string
	}{
		// The same signature spelled with the unused low bits of its last
		// character set: another string for one token, which would let a
		// token recorded by its string be presented again as new.
		{"signature not in canonical base64url", header + "." + payload + "." + nonCanonical(sig), healthcare.AccessToken},
		{"access presented as refresh", access, healthcare.RefreshToken},
		{"refresh presented as access", refresh, healthcare.AccessToken},
		{"unknown token type asked for", access, "id"},
		{"signed with another key", issue(t, newSigner(t, []byte("another-signing-key-of-32-bytes-or-more")), healthcare.AccessToken, 42, t0), healthcare.AccessToken},
		{"alg none", noneToken("none"), healthcare.AccessToken},
		{"alg None", noneToken("None"), healthcare.AccessToken},
		{"alg NONE", noneToken("NONE"), healthcare.AccessToken},
		{"alg none keeping the signature", noneToken("none") + sig, healthcare.AccessToken},
		{"header swapped to HS512", b64JSON(t, map[string]string{"alg": "HS512", "typ": "JWT"}) + "." + payload + "." + sig, healthcare.AccessToken},
		{"HS384 with the same key", forge(t, gojwt.SigningMethodHS384, testKey, validClaims()), healthcare.AccessToken},
		{"HS512 with the same key", forge(t, gojwt.SigningMethodHS512, testKey, validClaims()), healthcare.AccessToken},
		{"no exp", forge(t, gojwt.SigningMethodHS256, testKey, without(validClaims(), "exp")), healthcare.AccessToken},
		{"exp not a number", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "exp", "tomorrow")), healthcare.AccessToken},
		// NumericDates are JSON numbers (RFC 7519 §2), never strings holding one.
		{"exp a string of digits", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "exp", strconv.FormatInt(t0.Add(accessTTL).Unix(), 10))), healthcare.AccessToken},
		{"iat a string of digits", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "iat", strconv.FormatInt(t0.Unix(), 10))), healthcare.AccessToken},
		{"nbf a string of digits", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "nbf", strconv.FormatInt(t0.Unix(), 10))), healthcare.AccessToken},
		{"exp true", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "exp", true)), healthcare.AccessToken},
		{"exp an array", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "exp", []any{t0.Add(accessTTL).Unix()})), healthcare.AccessToken},
		{"exp null", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "exp", nil)), healthcare.AccessToken},
		{"tampered payload", header + "." + tamperedPayload + "." + sig, healthcare.AccessToken},
		{"signature removed", header + "." + payload + ".", healthcare.AccessToken},
		{"signature of another token", header + "." + payload + "." + strings.Split(refresh, ".")[2], healthcare.AccessToken},
		{"longer than MaxTokenBytes", long, healthcare.AccessToken},
		{"user_id missing", forge(t, gojwt.SigningMethodHS256, testKey, without(validClaims(), "user_id")), healthcare.AccessToken},
		{"user_id 0", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "user_id", 0)), healthcare.AccessToken},
		{"user_id negative", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "user_id", -1)), healthcare.AccessToken},
		{"user_id not a number", forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "user_id", "42abc")), healthcare.AccessToken},
		{"token_type missing", forge(t, gojwt.SigningMethodHS256, testKey, without(validClaims(), "token_type")), healthcare.AccessToken},
		{"jti missing", forge(t, gojwt.SigningMethodHS256, testKey, without(validClaims(), "jti")), healthcare.AccessToken},
		{"empty", "", healthcare.AccessToken},
		{"garbage", "garbage", healthcare.AccessToken},
		{"three empty segments", "..", healthcare.AccessToken},
		{"three junk segments", "a.b.c", healthcare.AccessToken},
		{"two segments", header + "." + payload, healthcare.AccessToken},
		{"four segments", access + ".x", healthcare.AccessToken},
		{"with Bearer prefix", "Bearer " + access, healthcare.AccessToken},
		{"trailing space", access + " ", healthcare.AccessToken},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("{nope")) + "." + payload + "." + sig, healthcare.AccessToken},
		{"huge garbage", strings.Repeat("A", 1<<20), healthcare.AccessToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Verify(tc.token, tc.tokenType, t0)
			checkInvalid(t, err)
			if diff := cmp.Diff(healthcare.TokenClaims{}, got); diff != "" {
				t.Errorf("Verify(%.60q, %q) claims mismatch (-want +got):\n%s", tc.token, tc.tokenType, diff)
			}
		})
	}
}

func TestVerifyMaxTokenBytes(t *testing.T) {
	s := newSigner(t, testKey)
	// Pad a valid token until it is exactly MaxTokenBytes long: still accepted.
	var tok string
	for n := 0; n < MaxTokenBytes; n++ {
		tok = forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "pad", strings.Repeat("x", n)))
		if len(tok) >= MaxTokenBytes {
			break
		}
	}
	if len(tok) != MaxTokenBytes {
		t.Skipf("could not build a token of exactly %d bytes (got %d)", MaxTokenBytes, len(tok))
	}
	if _, err := s.Verify(tok, healthcare.AccessToken, t0); err != nil {
		t.Errorf("Verify(%d-byte token) = %v, want nil", len(tok), err)
	}
}

func TestIssueUnknownType(t *testing.T) {
	s, err := NewSigner([]byte("k"), time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Issue("id", 1, 0, time.Now()); err == nil {
		t.Error(`Issue("id", ...) succeeded, want an error for an unknown token type`)
	}
}

func TestKeyRotation(t *testing.T) {
	now := time.Now()
	oldKey, newKey := []byte("old-key-old-key-old-key-old-key-!"), []byte("new-key-new-key-new-key-new-key-!")
	old, err := NewSigner(oldKey, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	oldTok, _, err := old.Issue(healthcare.AccessToken, 1, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewSigner(newKey, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Verify(oldTok, healthcare.AccessToken, now); err == nil {
		t.Fatal("a token of the old key verified without it as a fallback")
	}
	rotated.SetFallbackKeys(oldKey)
	if _, err := rotated.Verify(oldTok, healthcare.AccessToken, now); err != nil {
		t.Errorf("old token with the old key as fallback: %v", err)
	}
	// New tokens are signed with the new key only.
	newTok, _, _ := rotated.Issue(healthcare.AccessToken, 1, 0, now)
	if _, err := old.Verify(newTok, healthcare.AccessToken, now); err == nil {
		t.Error("a new token verified with the old key: fallbacks must never sign")
	}
	// A token without kid, as another simplejwt deployment signs, is tried against every key.
	plain := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{
		"token_type": "access", "user_id": 1, "jti": "abc", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	plainTok, err := plain.SignedString(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Verify(plainTok, healthcare.AccessToken, now); err != nil {
		t.Errorf("token without kid, signed by a fallback key: %v", err)
	}
}

func TestMaliciousKid(t *testing.T) {
	now := time.Now()
	key := []byte("the-key-the-key-the-key-the-key-!")
	s, err := NewSigner(key, time.Minute, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []any{"../../../../dev/null", "' OR '1'='1", "", 42, nil, strings.Repeat("k", 1000), keyID([]byte("other"))} {
		tok := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{
			"token_type": "access", "user_id": 1, "jti": "abc", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
		tok.Header["kid"] = kid
		signed, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(signed, healthcare.AccessToken, now); healthcare.ErrorCode(err) != healthcare.ETOKENINVALID {
			t.Errorf("kid %v: Verify = %v, want token_not_valid", kid, err)
		}
	}
}

// A token refused for its claims says why, in simplejwt's words and order:
// clients of the Django design show these messages.
func TestVerifyReasons(t *testing.T) {
	s := newSigner(t, testKey)
	for _, tc := range []struct {
		name   string
		claims gojwt.MapClaims
		want   string
	}{
		{"expired", with(validClaims(), "exp", t0.Add(-time.Hour).Unix()), healthcare.MsgTokenInvalid},
		{"no jti", without(validClaims(), "jti"), healthcare.MsgTokenNoID},
		{"no jti nor type", without(without(validClaims(), "jti"), "token_type"), healthcare.MsgTokenNoID},
		{"no type", without(validClaims(), "token_type"), healthcare.MsgTokenNoType},
		{"a refresh token", with(validClaims(), "token_type", "refresh"), healthcare.MsgTokenWrongType},
		{"no user", without(validClaims(), "user_id"), healthcare.MsgTokenNoUser},
		{"iat past 2^63 ns", with(validClaims(), "iat", 1e19), healthcare.MsgTokenInvalid},
	} {
		_, err := s.Verify(forge(t, gojwt.SigningMethodHS256, testKey, tc.claims), healthcare.AccessToken, t0)
		if got := healthcare.ErrorMessage(err); got != tc.want {
			t.Errorf("%s: Verify() says %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Critical header extensions are refused: none is understood here.
func TestVerifyRefusesCrit(t *testing.T) {
	s := newSigner(t, testKey)
	tok := gojwt.NewWithClaims(gojwt.SigningMethodHS256, validClaims())
	tok.Header["crit"] = []string{"exp"}
	signed, err := tok.SignedString(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(signed, healthcare.AccessToken, t0); err == nil {
		t.Error("a token with crit verified")
	}
}

// nonCanonical sets the unused low bits of a base64url segment's last
// character (32 bytes leave two).
func nonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[v|1])
}
