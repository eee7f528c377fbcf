package jwt

import (
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
)

// BenchmarkVerify is the token check every authenticated request pays: the
// first use of a token (parse, HMAC, claims) and the uses after it (the
// cache of verified tokens, time checks).
func BenchmarkVerify(b *testing.B) {
	s, err := NewSigner([]byte("bench-key-bench-key-bench-key-bench"), time.Minute, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	tok, _, err := s.Issue(healthcare.AccessToken, 42, 0, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.verify(tok, healthcare.AccessToken, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Verify(tok, healthcare.AccessToken, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIssue is half the cost of a login or a refresh.
func BenchmarkIssue(b *testing.B) {
	s, err := NewSigner([]byte("bench-key-bench-key-bench-key-bench"), time.Minute, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Issue(healthcare.AccessToken, 42, 0, now); err != nil {
			b.Fatal(err)
		}
	}
}
