package httpapi_test

// OWASP API8:2023, security misconfiguration: no error body ever carries a
// stack trace, SQL, driver text or request values; a panic is a 500 in the
// contract's shape and the server lives on. Security headers and CORS are
// in security_test.go.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/mock"
	"github.com/clinicapi/healthcare/sqlstore"
)

var leak = regexp.MustCompile(`(?i)goroutine|\.go:\d|panic|sqlstate|pgx|pgconn|sqlite|select |insert |update |delete from|syntax error|runtime error|violates`)

func TestErrorBodiesLeakNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := e.newPatient(u, nil)
		for _, r := range []req{
			{method: "POST", path: "/api/patients/", token: u.Access, body: `{"first_name": "x", "dob": "1990-13-45"`},
			{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{"first_name": "'; DROP TABLE patients; --", "last_name": "x", "email": "x", "dob": "x"}},
			{method: "GET", path: "/api/patients/?page=-1&page_size=abc&search=%00", token: u.Access},
			{method: "GET", path: "/api/patients/99999999999999999999", token: u.Access},
			{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": p, "doctor": "1 OR 1=1"}},
			{method: "PATCH", path: "/api/patients/" + itoa(p), token: u.Access, body: map[string]any{"email": strings.Repeat("a", 300) + "@x.com"}},
			{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": map[string]any{"$ne": nil}, "password": []any{}}},
			{method: "GET", path: "/api/auth/me/", token: "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ."},
		} {
			res := e.do(r)
			if res.Status < 400 || res.Status >= 500 {
				t.Errorf("%s %s = %d, want a 4xx", r.method, r.path, res.Status)
			}
			if m := leak.FindString(string(res.Body)); m != "" {
				t.Errorf("%s %s body leaks %q: %s", r.method, r.path, m, res.Body)
			}
		}
		// An ordering that is no field is ignored, as DRF's OrderingFilter does.
		e.do(req{method: "GET", path: "/api/patients/?ordering=id);DROP%20TABLE%20patients;--", token: u.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p), token: u.Access}).expect(t, 200)
	})
}

func TestPanicAndInternalErrorsAreContained(t *testing.T) {
	url := "sqlite://" + t.TempDir() + "/t.db"
	db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	real := newEnv(t, db)
	u := real.newUser()
	patients := &mock.PatientService{
		FindPatientByIDFn: func(context.Context, int64) (*healthcare.Patient, error) {
			panic("boom: SELECT secret FROM patients")
		},
		FindPatientsFn: func(context.Context, healthcare.ListOptions) ([]*healthcare.Patient, int, error) {
			return nil, 0, errors.New(`pq: relation "patients" does not exist; jon.doe@example.com`)
		},
	}
	var logs bytes.Buffer
	h := httpapi.NewHandler(slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs}, nil)),
		httpapi.Config{AllowedHosts: []string{"localhost"}},
		httpapi.Services{Auth: sqlstore.NewAuthService(db, mustHasher(t), testPolicy, real.signer), Patients: patients,
			Throttle: sqlstore.NewThrottle(db), Ready: db.Ping})
	e := &env{t: t, handler: h}
	for _, path := range []string{"/api/patients/1/", "/api/patients/"} {
		res := e.do(req{method: "GET", path: path, token: u.Access})
		res.expectBody(t, 500, `{"detail": "A server error occurred.", "code": "server_error"}`)
		if !strings.Contains(logs.String(), res.Header.Get("X-Request-ID")) {
			t.Errorf("the log does not name request %s", res.Header.Get("X-Request-ID"))
		}
	}
	// The process lives on.
	e.do(req{method: "GET", path: "/healthz"}).expect(t, 200)
}
