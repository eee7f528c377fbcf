package healthcare

import (
	"math/rand/v2"
	"testing"
)

// Fold's ASCII shortcut gives what the Unicode folding gives: every ASCII
// character alone, and random ASCII strings.
func TestFoldASCIIShortcut(t *testing.T) {
	check := func(s string) {
		t.Helper()
		fast, ok := foldASCII(s)
		if want := foldUnicode(s); !ok || fast != want {
			t.Fatalf("foldASCII(%q) = %q, %v; foldUnicode = %q", s, fast, ok, want)
		}
	}
	for c := range 0x80 {
		check(string(rune(c)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(0x80))
		}
		check(string(b))
	}
	if _, ok := foldASCII("Zoë"); ok {
		t.Error("foldASCII took a non-ASCII string")
	}
}
