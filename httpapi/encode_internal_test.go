package httpapi

import (
	"encoding/json"
	"math/rand/v2"
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
	// Any time of the years a record can have, against Python's rule
	// spelled with the standard library's layouts.
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		tm := time.Unix(r.Int64N(253402300800), r.Int64N(1e9)).Truncate(time.Microsecond)
		want := tm.UTC().Format("2006-01-02T15:04:05")
		if tm.Nanosecond() != 0 {
			want += tm.UTC().Format(".000000")
		}
		if got := jsonTime(tm); got != want+"Z" {
			t.Fatalf("jsonTime(%v) = %s, want %sZ", tm, got, want)
		}
	}
	if got := date(time.Date(987, 6, 5, 0, 0, 0, 0, time.UTC)).appendJSON(nil); string(got) != `"0987-06-05"` {
		t.Errorf("date is %s", got)
	}
}

// TestParseDateTime: the audit filter reads what its error message offers
// (DRF's ISO 8601) and RFC 3339's own variants, in UTC, to the microsecond.
func TestParseDateTime(t *testing.T) {
	want := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for in, at := range map[string]time.Time{
		"2026-11-30T10:00:00Z":             want,
		"2026-11-30T10:00Z":                want,
		"2026-11-30T10:00":                 want,
		"2026-11-30T10:00:00":              want,
		"2026-11-30t10:00:00z":             want,
		"2026-11-30 10:00:00Z":             want,
		"2026-11-30T11:00:00+01:00":        want,
		"2026-11-30T10:00:00.123456789Z":   want.Add(123456 * time.Microsecond),
		"2026-11-30T10:00:00.5-00:00":      want.Add(500 * time.Millisecond),
		"2026-11-30T05:30:00.000001-04:30": want.Add(time.Microsecond),
	} {
		if got, ok := parseDateTime(in); !ok || !got.Equal(at) || got.Location() != time.UTC {
			t.Errorf("parseDateTime(%q) = %v, %v; want %v", in, got, ok, at)
		}
	}
	for _, in := range []string{"yesterday", "2026-11-30", "2026-11-30T10", "2026-11-30T10:00:00+0100x", "2026-13-30T10:00Z", "", "2026-11-30T10:00:00 Z"} {
		if got, ok := parseDateTime(in); ok {
			t.Errorf("parseDateTime(%q) = %v, want refused", in, got)
		}
	}
}
