package httpapi_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// TestStorageOutage: while the database cannot be written (SQLite made
// read-only or full, PostgreSQL read-only as a standby is), a patient
// create and an audited read answer 503 with Retry-After and /readyz is
// 503; once it can be written again, all three recover by themselves and
// every create that was acknowledged is still there.
func TestStorageOutage(t *testing.T) {
	for _, tt := range []struct {
		name, engine, breaks, repairs string
	}{
		{"sqlite read-only", "sqlite", "PRAGMA query_only = 1", "PRAGMA query_only = 0"},
		{"sqlite full", "sqlite", "PRAGMA max_page_count = 1", "PRAGMA max_page_count = 4294967294"},
		{"postgres read-only", "postgres", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
			"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := sqlstoretest.URL(t, tt.engine)
			sqlstoretest.Open(t, url) // migrate
			// One connection, so that a per-connection setting is the store's.
			db, err := sqlstore.Open(ctx, url, sqlstore.Options{MaxOpenConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			var skew atomic.Int64
			db.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			e := newEnvWith(t, db, httpapi.Config{Unavailable: sqlstore.IsUnavailable}, healthcare.Limit{})
			u := e.newUser()
			created := []int64{e.newPatient(u, nil)}
			create := func() *response {
				res := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
					"first_name": "Jon", "last_name": "Doe", "email": fmt.Sprintf("p%d@example.com", e.seq.Add(1)), "dob": "1990-01-01"}})
				if res.Status == 201 {
					created = append(created, int64(res.Obj(t)["id"].(float64)))
				}
				return res
			}
			read := func() *response {
				return e.do(req{method: "GET", path: "/api/patients/" + itoa(created[0]) + "/", token: u.Access})
			}
			// Rows and events may still fit in the pages there are: go on
			// until they do not.
			failure := func(do func() *response) *response {
				t.Helper()
				for range 1000 {
					if res := do(); res.Status >= 300 {
						return res
					}
				}
				t.Fatal("requests kept succeeding")
				return nil
			}

			if err := db.ExecForTest(ctx, tt.breaks); err != nil {
				t.Fatal(err)
			}
			for _, res := range []*response{failure(create), failure(read)} {
				res.expectBody(t, 503, `{"detail": "The database is unavailable; try again shortly.", "code": "service_unavailable"}`)
				if res.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			}
			e.do(req{method: "GET", path: "/readyz"}).expect(t, 503)
			// A refusal is answered only once it is on record: a probe of a
			// record that is not the caller's, or a wrong password, is a 503
			// too while its event cannot be written, never a silent 404 or 401.
			probe := func() *response { return e.do(req{method: "GET", path: "/api/patients/999999/", token: u.Access}) }
			guess := func() *response {
				return e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": "wrong-password-1"}})
			}
			for _, res := range []*response{failure(probe), failure(guess)} {
				res.expect(t, 503)
			}

			if err := db.ExecForTest(ctx, tt.repairs); err != nil {
				t.Fatal(err)
			}
			create().expect(t, 201)
			read().expect(t, 200)
			skew.Store(int64(time.Minute)) // past the hold before readiness probes, within the token's life
			e.do(req{method: "GET", path: "/readyz"}).expectBody(t, 200, `{"status": "ok"}`)
			for _, id := range created {
				e.do(req{method: "GET", path: "/api/patients/" + itoa(id) + "/", token: u.Access}).expect(t, 200)
			}
			t.Logf("%d creates acknowledged, all there", len(created))
		})
	}
}
