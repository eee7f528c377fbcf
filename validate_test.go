package healthcare_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
)

func TestValidEmail(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"a@b.com", true},
		{"first.last+tag@sub.example.org", true},
		{"user@localhost", true},
		{"o'brien@example.ie", true},
		{"", false},
		{"plain", false},
		{"a@", false},
		{"@b.com", false},
		{"a@b", false},
		{"a b@c.com", false},
		{"a..b@c.com", false},
		{".a@c.com", false},
		{"a@-b.com", false},
		{"a@b..com", false},
		{"Jon <jon@example.com>", false},
		{"a@b.c", false},
	} {
		if got := healthcare.ValidEmail(tt.in); got != tt.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPatientValidate(t *testing.T) {
	today := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	ok := healthcare.Patient{FirstName: "A", LastName: "B", Email: "a@b.com", DOB: today}
	if err := ok.Validate(today); err != nil {
		t.Errorf("Validate(valid patient born today) = %v", err)
	}
	bad := healthcare.Patient{FirstName: "", LastName: string(make([]rune, 101)), Email: "x", DOB: today.AddDate(0, 0, 1)}
	err := bad.Validate(today)
	var e *healthcare.Error
	if !asError(err, &e) {
		t.Fatalf("Validate(bad) = %v, want *Error", err)
	}
	want := map[string][]string{
		"first_name": {"This field may not be blank."},
		"last_name":  {"Ensure this field has no more than 100 characters."},
		"email":      {"Enter a valid email address."},
		"dob":        {"Date of birth cannot be in the future."},
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Errorf("Validate(bad) fields mismatch (-want +got):\n%s", diff)
	}
	if e.Code != healthcare.EINVALID {
		t.Errorf("code = %q", e.Code)
	}
}

func TestIfMatch(t *testing.T) {
	var none *healthcare.IfMatch
	for _, tt := range []struct {
		m       *healthcare.IfMatch
		version int64
		want    bool
	}{
		{none, 3, true},
		{&healthcare.IfMatch{Any: true}, 3, true},
		{&healthcare.IfMatch{Versions: []int64{1, 3}}, 3, true},
		{&healthcare.IfMatch{Versions: []int64{1}}, 3, false},
		{&healthcare.IfMatch{Versions: []int64{}}, 3, false},
	} {
		if got := tt.m.Matches(tt.version); got != tt.want {
			t.Errorf("%+v.Matches(%d) = %v, want %v", tt.m, tt.version, got, tt.want)
		}
	}
}

func TestErrorCode(t *testing.T) {
	wrapped := wrap(healthcare.Errorf(healthcare.ENOTFOUND, "Not found."))
	if got := healthcare.ErrorCode(wrapped); got != healthcare.ENOTFOUND {
		t.Errorf("ErrorCode(wrapped not found) = %q", got)
	}
	if got := healthcare.ErrorCode(errPlain); got != healthcare.EINTERNAL {
		t.Errorf("ErrorCode(plain error) = %q, want %q", got, healthcare.EINTERNAL)
	}
	if got := healthcare.ErrorCode(nil); got != "" {
		t.Errorf("ErrorCode(nil) = %q", got)
	}
	if msg := healthcare.ErrorMessage(errPlain); msg != "A server error occurred." {
		t.Errorf("ErrorMessage(plain) = %q leaks the cause", msg)
	}
	// The error text names fields only, never the messages that may quote input.
	e := healthcare.FieldError("email", "secret@example.com is taken")
	if got := e.Error(); got != "healthcare error: code=invalid fields=[email]" {
		t.Errorf("Error() = %q", got)
	}
}

// Two spellings of one identifier fold to one key (NFKC, case folding,
// NFKC), and unrelated ones do not.
func TestFold(t *testing.T) {
	for _, pair := range [][2]string{
		{"Σίσυφος", "ΣΊΣΥΦΟΣ"},
		{"straße", "STRASSE"},
		{"ﬁlip", "FILIP"},
		{"Alice", "alice"},
		{"ǅemal", "džemal"},        // a titlecase digraph
		{"ｆｕｌｌｗｉｄｔｈ", "FULLWIDTH"}, // compatibility forms
		{"Å", "å"},                 // Å, the Ångström sign
		{"e\u0301", "É"},           // combining accent, composed
		{"ᏣᎳᎩ", "ꮳꮃꭹ"},             // Cherokee folds to upper case
	} {
		if a, b := healthcare.Fold(pair[0]), healthcare.Fold(pair[1]); a != b {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; want one key", pair[0], a, pair[1], b)
		}
	}
	for _, pair := range [][2]string{{"alice", "alicé"}, {"ı", "i"}, {"a", "а"}} { // dotless i; Cyrillic а
		if healthcare.Fold(pair[0]) == healthcare.Fold(pair[1]) {
			t.Errorf("Fold(%q) = Fold(%q); want different keys", pair[0], pair[1])
		}
	}
}

// FuzzFold: folding is idempotent, so a key folds to itself and the
// stores' keys are stable across migrations.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"Σίσυφος", "straße", "ﬁlip", "ǅ", "\u0345", "ΐ", "ẞ", "İstanbul", "\ufb03"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := healthcare.Fold(s)
		if again := healthcare.Fold(k); again != k {
			t.Fatalf("Fold(%q) = %q, but Fold(%q) = %q", s, k, k, again)
		}
	})
}

func TestCheckReason(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"  ticket 42  ", "ticket 42", true},
		{"", "", false},
		{"   ", "", false},
		{"\u200b\u200b", "", false},       // zero-width spaces
		{"\ufeff\u2800\u3164", "", false}, // BOM, Braille blank, Hangul filler
		{"\u0301\u0301", "", false},       // combining marks alone
		{"ticket\x00 42", "", false},      // a control character
		{"\x1b[31mred", "", false},        // a terminal escape
		{"ticket\n42", "", false},         // a line break inside
		{strings.Repeat("é", 500), strings.Repeat("é", 500), true},
		{strings.Repeat("é", 501), "", false},
	} {
		got, err := healthcare.CheckReason(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CheckReason(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
