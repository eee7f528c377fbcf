package console

import (
	"bufio"
	"strings"
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
		"|calc":               "'|calc",
	} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every field is quoted, so that a ";" (a list separator in some locales)
// cannot start a new cell whose formula a spreadsheet would run.
func TestCSVRecordQuotesEveryField(t *testing.T) {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	if err := writeCSVRecord(w, []string{"1", `;=1+1`, `say "hi"`, "a\nb", ""}); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()
	if want := "\"1\",\";=1+1\",\"say \"\"hi\"\"\",\"a\nb\",\"\"\r\n"; b.String() != want {
		t.Errorf("record = %q, want %q", b.String(), want)
	}
}
