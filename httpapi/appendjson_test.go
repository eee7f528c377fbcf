package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// appendedMatchesEncodingJSON checks that v's own JSON is what encoding/json
// writes for it.
func appendedMatchesEncodingJSON(t *testing.T, v jsonAppender) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(v); err != nil {
		t.Fatal(err)
	}
	if got := string(v.appendJSON(nil)) + "\n"; got != want.String() {
		t.Fatalf("appendJSON wrote\n%s\nencoding/json writes\n%s", got, want.String())
	}
}

// texts are strings that encoding/json escapes, or might be thought to.
var texts = []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\r",
	"\x00\x01\x08\x0c\x1f\x7f", "é ü ß 日本 🙂", "\u2028\u2029", "bad \xff\xfe utf-8", "\xed\xa0\x80", "'single'",
	strings.Repeat("long ", 200)}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	created := timestamp(time.Date(2026, 11, 30, 8, 0, 0, 123456000, time.UTC))
	updated := timestamp(time.Date(2026, 11, 30, 8, 0, 1, 0, time.UTC))
	for _, s := range texts {
		p := patientResponse{ID: 1<<53 - 1, FirstName: s, LastName: s, Email: s,
			DOB: date(time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)), Notes: s, CreatedAt: created, UpdatedAt: updated}
		appendedMatchesEncodingJSON(t, p)
		d := doctorResponse{ID: 7, FirstName: s, LastName: s, Email: s, Specialization: s, CreatedAt: created, UpdatedAt: updated}
		appendedMatchesEncodingJSON(t, d)
		a := assignmentResponse{ID: 3, Patient: 4, Doctor: 5, CreatedAt: created,
			DoctorDetail: doctorDetail{ID: 5, FirstName: s, LastName: s, Specialization: s}}
		appendedMatchesEncodingJSON(t, a)
		next := "http://h/api/patients/?page=3&search=" + s
		appendedMatchesEncodingJSON(t, pageBody[patientResponse]{Count: 41, Next: &next, Results: []patientResponse{p, p}})
		appendedMatchesEncodingJSON(t, pageBody[assignmentResponse]{Count: 0, Previous: &next, Results: []assignmentResponse{}})
		// A page of a type without its own JSON: encoding/json writes each item.
		ev := auditEventResponse{ID: 1, Action: s, PatientIDs: []int64{1, 2}}
		appendedMatchesEncodingJSON(t, pageBody[auditEventResponse]{Count: 1, Results: []auditEventResponse{ev}})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range texts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}
