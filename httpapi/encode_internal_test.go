package httpapi

import (
	"encoding/json"
	"testing"
	"time"
)

// jsonTime must write exactly what encoding/json writes for a time.Time, so
// that clients see the same timestamps either way.
func TestJSONTimeMatchesEncodingJSON(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC),
	} {
		want, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(jsonTime(tm))
		if string(got) != string(want) {
			t.Errorf("jsonTime(%v) encodes as %s, encoding/json as %s", tm, got, want)
		}
	}
}
