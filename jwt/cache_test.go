package jwt

import (
	"crypto/sha256"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
)

// A token found in the cache of verified tokens still has its time checked
// on every use, and only access tokens that verified are kept.
func TestVerifiedCache(t *testing.T) {
	s := newSigner(t, testKey)
	access := issue(t, s, healthcare.AccessToken, 42, t0)
	first, err := s.Verify(access, healthcare.AccessToken, t0)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.verified.len(); n != 1 {
		t.Fatalf("cache holds %d tokens after one access token verified, want 1", n)
	}
	again, err := s.Verify(access, healthcare.AccessToken, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("second use: %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("cached claims differ (-first +again):\n%s", diff)
	}
	_, err = s.Verify(access, healthcare.AccessToken, t0.Add(accessTTL+Leeway))
	checkInvalid(t, err)
	_, err = s.Verify(access, healthcare.AccessToken, t0.Add(-Leeway-time.Second))
	checkInvalid(t, err) // issued in the future of that clock
	_, err = s.Verify(access, healthcare.RefreshToken, t0)
	checkInvalid(t, err)

	refresh := issue(t, s, healthcare.RefreshToken, 42, t0)
	if _, err := s.Verify(refresh, healthcare.RefreshToken, t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.Verify(access+"x", healthcare.AccessToken, t0)
	checkInvalid(t, err)
	if n := s.verified.len(); n != 1 {
		t.Errorf("cache holds %d tokens, want 1: refresh tokens and failures stay out", n)
	}
}

func TestVerifiedCacheForgetsDroppedKeys(t *testing.T) {
	oldKey := []byte("old-key-old-key-old-key-old-key-!")
	old := newSigner(t, oldKey)
	s := newSigner(t, testKey)
	s.SetFallbackKeys(oldKey)
	tok := issue(t, old, healthcare.AccessToken, 7, t0)
	if _, err := s.Verify(tok, healthcare.AccessToken, t0); err != nil {
		t.Fatal(err)
	}
	s.SetFallbackKeys() // the old key retired
	_, err := s.Verify(tok, healthcare.AccessToken, t0)
	checkInvalid(t, err)
}

func TestVerifyRefusesNotBefore(t *testing.T) {
	s := newSigner(t, testKey)
	tok := forge(t, gojwt.SigningMethodHS256, testKey, with(validClaims(), "nbf", t0.Unix()))
	_, err := s.Verify(tok, healthcare.AccessToken, t0)
	checkInvalid(t, err)
}

func TestVerifiedCacheIsBounded(t *testing.T) {
	var v verifiedCache
	for i := range 2*maxVerified + 1 {
		v.put(sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}), healthcare.TokenClaims{UserID: int64(i)})
	}
	if n := v.len(); n == 0 || n > maxVerified {
		t.Errorf("cache holds %d tokens, want 1..%d", n, maxVerified)
	}
}

func (v *verifiedCache) len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.m)
}
