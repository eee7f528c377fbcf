package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare"
)

// FuzzDecodeObject: any body yields an object or a contract error, never a
// panic, costs at most a fixed multiple of its size in allocations, and
// every field read records DRF's messages, never a NUL.
func FuzzDecodeObject(f *testing.F) {
	for _, seed := range []string{
		`{"first_name": "Jon", "dob": "1990-01-01", "patient": 7, "doctor": "8"}`,
		`{"notes": "\u0000", "dob": 19900101, "patient": 1.5e300}`,
		`[1,2]`, `{"a": {"b": [null]}}`, `{} {}`, "", `{"dob": "0000-01-01", "patient": "-1"}`,
		`{"notes": "a", "notes": "b", "n\u006ftes": "c"}`, "{\"first_name\": \"\xff\"}", `{"a":[[[[[[1]]]]]]}`,
	} {
		f.Add(seed, "application/json")
	}
	f.Add(`a=b`, "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		request := func() (*http.Request, http.ResponseWriter) {
			r := httptest.NewRequest("POST", "/api/patients/", strings.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			return r, httptest.NewRecorder()
		}
		decode := func(r *http.Request, w http.ResponseWriter) (*object, error) {
			return decodeObject(w, r, "first_name", "notes", "email", "dob", "patient")
		}
		o, err := decode(request()) // once first, so that one-time set-up is not counted
		// Only the decoder is measured: the request itself (a header the
		// server's limits bound) is the test's making.
		r, w := request()
		if n := allocated(func() { _, _ = decode(r, w) }); n > maxDecodeAlloc(body)+fuzzRequestAlloc {
			t.Fatalf("reading %d bytes allocated %d, over %d", len(body), n, maxDecodeAlloc(body)+fuzzRequestAlloc)
		}
		if err != nil {
			switch code := healthcare.ErrorCode(err); code {
			case eParse, eUnsupportedMedia, eTooLarge:
			default:
				t.Fatalf("decodeObject error code %q for %q", code, body)
			}
			return
		}
		for _, key := range []string{"first_name", "notes", "email"} {
			if s := o.str(key, allowBlank); s != nil && strings.ContainsRune(*s, 0) {
				t.Fatalf("str(%s) let a NUL through", key)
			}
		}
		if d := o.date("dob", 0); d != nil && d.Year() < 1 {
			t.Fatalf("date(dob) = %v", d)
		}
		if id := o.pk("patient"); id < 0 || (id == 0 && len(o.errs["patient"]) == 0) {
			t.Fatalf("pk(patient) = %d with errors %v", id, o.errs["patient"])
		}
	})
}

// fuzzRequestAlloc is the fixed part of a decode's cost, whatever the body:
// the object, the reader, the error.
const fuzzRequestAlloc = 4 << 10

// FuzzQueryParams: any query string gives list options inside their bounds.
func FuzzQueryParams(f *testing.F) {
	for _, seed := range []string{
		"page=2&page_size=10&ordering=-dob,id&search=jon",
		"page=99999999999999999999&page_size=-1", "ordering=id;drop", "search=%00", "search=%zz%ff",
		"page=1&page=2", "ordering=,,,-,--id", "a=b&&=&",
	} {
		f.Add(seed)
	}
	fields := healthcare.PatientOrderFields
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/patients/", nil)
		r.URL.RawQuery = raw
		q := queryParams(r)
		opt := parseListOptions(q, fields)
		if (opt.Page < 1 && !opt.Last) || opt.Page > 1_000_000_000 || opt.PageSize < 1 || opt.PageSize > healthcare.MaxPageSize {
			t.Fatalf("%q: page %d, size %d", raw, opt.Page, opt.PageSize)
		}
		if opt.Offset() < 0 {
			t.Fatalf("%q: offset %d overflows", raw, opt.Offset())
		}
		for _, o := range opt.Ordering {
			if !slices.Contains(fields, strings.TrimPrefix(o, "-")) {
				t.Fatalf("%q: ordering %q let through", raw, o)
			}
		}
		if strings.ContainsRune(opt.Search, 0) || !bytes.Equal([]byte(opt.Search), []byte(strings.ToValidUTF8(opt.Search, ""))) {
			t.Fatalf("%q: search %q", raw, opt.Search)
		}
	})
}
