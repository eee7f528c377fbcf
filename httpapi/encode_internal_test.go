package httpapi

import (
	"encoding/json"
	"testing"
	"time"
)

// jsonTime and timestamp must write exactly what encoding/json writes for a
// time.Time, so that clients see the same timestamps either way; a date is
// the contract's YYYY-MM-DD.
// TestJSONTimeIsDRFs: times are written as DRF writes them, Python's
// isoformat in UTC: microseconds in six digits, or none at all.
func TestJSONTimeIsDRFs(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), "2026-11-27T12:00:00Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC), "2026-01-02T03:04:05.123456Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC), "2026-01-02T03:04:05.120000Z"},
		{time.Date(1999, 12, 31, 23, 59, 59, 1000, time.UTC), "1999-12-31T23:59:59.000001Z"},
		{time.Date(2026, 1, 2, 4, 4, 5, 499660000, time.FixedZone("CET", 3600)), "2026-01-02T03:04:05.499660Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00Z"},
	} {
		if got := jsonTime(tc.in); got != tc.want {
			t.Errorf("jsonTime(%v) = %s, want %s", tc.in, got, tc.want)
		}
		if got := timestamp(tc.in).appendJSON(nil); string(got) != `"`+tc.want+`"` {
			t.Errorf("timestamp(%v) is %s, want %q", tc.in, got, tc.want)
		}
		if got, _ := json.Marshal(timestamp(tc.in)); string(got) != `"`+tc.want+`"` {
			t.Errorf("encoding/json writes timestamp(%v) as %s, want %q", tc.in, got, tc.want)
		}
	}
	if got := date(time.Date(987, 6, 5, 0, 0, 0, 0, time.UTC)).appendJSON(nil); string(got) != `"0987-06-05"` {
		t.Errorf("date is %s", got)
	}
}
