package jwt

import (
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
)

// FuzzVerify: no input panics the parser, and anything not signed by the
// key is refused with token_not_valid.
func FuzzVerify(f *testing.F) {
	s, err := NewSigner([]byte("fuzz-key-fuzz-key-fuzz-key-fuzz-k"), time.Minute, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	good, _, _ := s.Issue(healthcare.AccessToken, 1, 0, now)
	for _, seed := range []string{good, good + "x", "a.b.c", "", "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ.",
		"eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLy4uIn0.e30.x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token, healthcare.AccessToken, now)
		if err != nil {
			if healthcare.ErrorCode(err) != healthcare.ETOKENINVALID {
				t.Fatalf("Verify(%q) error code %q", token, healthcare.ErrorCode(err))
			}
			return
		}
		// Accepted: it must be a real token of ours for a real user id.
		if c.UserID <= 0 || c.Type != healthcare.AccessToken || c.ID == "" {
			t.Fatalf("Verify(%q) accepted claims %+v", token, c)
		}
	})
}
