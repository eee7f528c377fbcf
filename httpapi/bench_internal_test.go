package httpapi

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
)

// BenchmarkEncodePatientPage: the JSON of a default page of patients.
func BenchmarkEncodePatientPage(b *testing.B) {
	now := time.Now().UTC()
	patients := make([]*healthcare.Patient, 20)
	for i := range patients {
		patients[i] = &healthcare.Patient{ID: int64(i + 1), FirstName: "Jonathan", LastName: "Doe-Smith",
			Email: fmt.Sprintf("patient%d@example.com", i), DOB: time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC),
			Notes: "Allergic to penicillin; follow-up in six weeks.", CreatedAt: now, UpdatedAt: now}
	}
	r := httptest.NewRequest("GET", "/api/patients/?page=2", nil)
	opt := healthcare.ListOptions{Page: 2, PageSize: 20}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		encode(w, http.StatusOK, newPage(r, opt, 1000, mapItems(patients, toPatientResponse)))
	}
}

// BenchmarkMiddlewareChain: what every request pays before its handler —
// request id, recover, access log, headers, deadline, host check, CORS,
// routing — measured on /healthz, which does no work of its own.
func BenchmarkMiddlewareChain(b *testing.B) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := NewHandler(logger, Config{AllowedHosts: []string{"localhost"}, RequestTimeout: 15 * time.Second},
		Services{Ready: nil})
	r := httptest.NewRequest("GET", "/healthz", nil)
	r.Host = "localhost"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
