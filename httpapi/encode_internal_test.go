package httpapi

import (
	"encoding/json"
	"testing"
	"time"
)

// jsonTime and timestamp must write exactly what encoding/json writes for a
// time.Time, so that clients see the same timestamps either way; a date is
// the contract's YYYY-MM-DD.
func TestJSONTimeMatchesEncodingJSON(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		want, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(jsonTime(tm))
		if string(got) != string(want) {
			t.Errorf("jsonTime(%v) encodes as %s, encoding/json as %s", tm, got, want)
		}
		if got := timestamp(tm).appendJSON(nil); string(got) != string(want) {
			t.Errorf("timestamp(%v) is %s, encoding/json writes %s", tm, got, want)
		}
	}
	if got := date(time.Date(987, 6, 5, 0, 0, 0, 0, time.UTC)).appendJSON(nil); string(got) != `"0987-06-05"` {
		t.Errorf("date is %s", got)
	}
}
