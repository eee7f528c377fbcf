package console

import (
	"testing"
)

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"ticket 7":            "ticket 7",
		"=HYPERLINK(\"x\")":   "'=HYPERLINK(\"x\")",
		"+1 555":              "'+1 555",
		"-2":                  "'-2",
		"@SUM(A1)":            "'@SUM(A1)",
		"\tcell":              "'\tcell",
		"a = b, as requested": "a = b, as requested",
	} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
