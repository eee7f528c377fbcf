package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// BenchmarkAudit measures reads and creates of patients over loopback HTTP
// against PostgreSQL with the audit trail on and off, in one run;
// scripts/bench-audit turns the results into ratios.
func BenchmarkAudit(b *testing.B) {
	for _, op := range []string{"read", "create"} {
		for _, audit := range []string{"on", "off"} {
			b.Run(op+"/audit="+audit, func(b *testing.B) {
				var batches, events atomic.Int64
				defer func() {
					if batches.Load() > 0 {
						b.ReportMetric(float64(events.Load())/float64(batches.Load()), "events/batch")
					}
				}()
				open := sqlstore.Open
				if audit == "off" {
					open = sqlstore.OpenWithoutAudit
				}
				db, err := open(context.Background(), sqlstoretest.PostgresURL(b), sqlstore.Options{MaxOpenConns: 16,
					AuditBatch: func(n int, _ time.Duration) { batches.Add(1); events.Add(int64(n)) }})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				srv := httptest.NewServer(benchHandler(b, db))
				defer srv.Close()
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				send := func(method, path, token string, body any) (int, map[string]any) {
					var rd io.Reader
					if body != nil {
						raw, _ := json.Marshal(body)
						rd = bytes.NewReader(raw)
					}
					r, _ := http.NewRequest(method, srv.URL+path, rd)
					r.Host = "localhost"
					r.Header.Set("Content-Type", "application/json")
					if token != "" {
						r.Header.Set("Authorization", "Bearer "+token)
					}
					res, err := client.Do(r)
					if err != nil {
						b.Error(err)
						return 0, nil
					}
					defer res.Body.Close()
					out := map[string]any{}
					_ = json.NewDecoder(res.Body).Decode(&out)
					return res.StatusCode, out
				}
				account := map[string]any{"username": "bench", "email": "bench@example.com", "password": "c0rrect-h0rse-battery"}
				send("POST", "/api/auth/register/", "", account)
				_, tok := send("POST", "/api/auth/login/", "", account)
				access, _ := tok["access"].(string)
				ids := make([]int64, 100)
				for i := range ids {
					_, p := send("POST", "/api/patients/", access, map[string]any{"first_name": "B", "last_name": "M",
						"email": fmt.Sprintf("seed%d@example.com", i), "dob": "1990-01-01"})
					id, _ := p["id"].(float64)
					ids[i] = int64(id)
				}
				var seq atomic.Int64
				b.SetParallelism(32)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						n := seq.Add(1)
						status := 0
						if op == "read" {
							status, _ = send("GET", fmt.Sprintf("/api/patients/%d/", ids[n%int64(len(ids))]), access, nil)
						} else {
							status, _ = send("POST", "/api/patients/", access, map[string]any{"first_name": "B", "last_name": "M",
								"email": fmt.Sprintf("b%d@example.com", n), "dob": "1990-01-01"})
						}
						if status != 200 && status != 201 {
							b.Errorf("status %d", status)
							return
						}
					}
				})
			})
		}
	}
}

// benchHandler is the API on db, with cheap password hashing.
func benchHandler(b *testing.B, db *sqlstore.DB) http.Handler {
	hasher, err := password.NewHasher(password.Params{MemoryKiB: 64, Time: 1, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	policy, err := password.NewPolicy()
	if err != nil {
		b.Fatal(err)
	}
	signer, err := jwt.NewSigner([]byte("bench-secret-key-bench-secret-key-0123"), time.Hour, 24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return httpapi.NewHandler(slog.New(slog.DiscardHandler), httpapi.Config{AllowedHosts: []string{"localhost"}}, httpapi.Services{
		Auth:        sqlstore.NewAuthService(db, hasher, policy, signer),
		Patients:    sqlstore.NewPatientService(db),
		Doctors:     sqlstore.NewDoctorService(db),
		Assignments: sqlstore.NewAssignmentService(db),
		Audit:       sqlstore.NewAuditService(db),
		Throttle:    sqlstore.NewThrottle(db),
		Ready:       db.Ready,
	})
}
