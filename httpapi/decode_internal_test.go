package httpapi

import (
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare"
)

// hostileBodies are the worst bodies under 1 MiB for a reader of JSON
// objects: many members, deep nesting, a huge value in a member the route
// reads and in one it does not.
func hostileBodies() map[string]string {
	const size = 1<<20 - 1024
	var keys strings.Builder
	keys.WriteString("{")
	for i := 0; keys.Len() < size; i++ {
		keys.WriteString(`"` + strconv.Itoa(i) + `":0,`)
	}
	depth := 9000
	return map[string]string{
		"many keys":    keys.String() + `"z":0}`,
		"deep nesting": `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`,
		"deep objects": `{"a":` + strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth) + `}`,
		"huge read":    `{"refresh":"` + strings.Repeat("A", size) + `"}`,
		"huge escaped": `{"refresh":"` + strings.Repeat(`\u0041`, size/6) + `"}`,
		"huge other":   `{"x":"` + strings.Repeat("A", size) + `"}`,
		"many numbers": `{"refresh":[` + strings.Repeat("1,", size/2) + `1]}`,
	}
}

// allocated returns the bytes allocated while fn ran, the least of three
// runs: the count is the whole process's, and other goroutines allocate too.
func allocated(fn func()) uint64 {
	var least uint64
	for i := range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fn()
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; i == 0 || n < least {
			least = n
		}
	}
	return least
}

// maxDecodeAlloc is what reading a body may allocate: the body, and the
// values a route reads copied, unquoted and made strings, plus the
// decoder's state.
func maxDecodeAlloc(body string) uint64 { return 4*uint64(len(body)) + 16<<10 }

func decodeForTest(body string) (*object, error) {
	r := httptest.NewRequest("POST", "/api/auth/logout/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return decodeObject(httptest.NewRecorder(), r, "refresh", "username")
}

// A body costs at most a fixed multiple of its size to read, however it is
// shaped: a map of every member, as this reader once kept, took twenty.
func TestDecodeObjectAllocationIsBounded(t *testing.T) {
	for name, body := range hostileBodies() {
		t.Run(name, func(t *testing.T) {
			var err error
			decodeForTest(body) // once first, so that one-time set-up is not counted
			got := allocated(func() {
				o, e := decodeForTest(body)
				err = e
				if o != nil {
					o.str("refresh", required)
				}
			})
			if got > maxDecodeAlloc(body) {
				t.Errorf("reading %d bytes allocated %d (err %v), over %d", len(body), got, err, maxDecodeAlloc(body))
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	for _, tc := range []struct {
		body    string
		want    string // refresh's value, or the error code
		wantErr bool
	}{
		{body: `{"refresh": "a", "refresh": "b"}`, want: "b"},               // the last wins, as in Python
		{body: `{"re\u0066resh": "c"}`, want: "c"},                          // an escaped name is the same name
		{body: `{"REFRESH": "d", "Refresh": "e"}`, want: ""},                // names match exactly
		{body: `{"other": {"refresh": "f"}, "x": [1, {"a": 2}]}`, want: ""}, // only top-level members
		{body: "{\"refresh\": \"\xff\xfe\"}", want: eParse, wantErr: true},  // invalid UTF-8 (RFC 8259)
		{body: "{\"x\": \"\xff\"}", want: eParse, wantErr: true},            // even where not read
		{body: `{"refresh": "a"} {}`, want: eParse, wantErr: true},
		{body: `[{"refresh": "a"}]`, want: eParse, wantErr: true},
		{body: `{"refresh": "a",}`, want: eParse, wantErr: true},
		{body: ``, want: ""},
		{body: `{"x": ` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`, want: eParse, wantErr: true},
		{body: `{"x": ` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `, "refresh": "g"}`, want: "g"},
	} {
		o, err := decodeForTest(tc.body)
		if tc.wantErr {
			if code := healthcare.ErrorCode(err); code != tc.want {
				t.Errorf("decode %q: error code %q, want %q", tc.body, code, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("decode %q: %v", tc.body, err)
			continue
		}
		got := ""
		if s := o.str("refresh", 0); s != nil {
			got = *s
		}
		if got != tc.want {
			t.Errorf("decode %q: refresh = %q, want %q", tc.body, got, tc.want)
		}
	}
}

// BenchmarkDecodeHostile reports what each hostile body costs to read.
func BenchmarkDecodeHostile(b *testing.B) {
	for name, body := range hostileBodies() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = decodeForTest(body)
			}
		})
	}
}
