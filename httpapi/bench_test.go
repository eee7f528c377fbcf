package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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
				url := sqlstoretest.PostgresURL(b)
				db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{
					MaxOpenConns: 16, DisableAuditForBenchmark: audit == "off",
					AuditBatch: func(n int, _ time.Duration) { batches.Add(1); events.Add(int64(n)) }})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				e := newEnv(b, db)
				u := e.newUser()
				ids := make([]int64, 100)
				for i := range ids {
					ids[i] = e.newPatient(u, nil)
				}
				srv := httptest.NewServer(e.handler)
				defer srv.Close()
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				var seq atomic.Int64
				b.SetParallelism(32)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						n := seq.Add(1)
						var r *http.Request
						if op == "read" {
							r, _ = http.NewRequest("GET", fmt.Sprintf("%s/api/patients/%d/", srv.URL, ids[n%int64(len(ids))]), nil)
						} else {
							body := fmt.Sprintf(`{"first_name":"B","last_name":"M","email":"b%d@example.com","dob":"1990-01-01"}`, n)
							r, _ = http.NewRequest("POST", srv.URL+"/api/patients/", bytes.NewReader([]byte(body)))
							r.Header.Set("Content-Type", "application/json")
						}
						r.Host = "localhost"
						r.Header.Set("Authorization", "Bearer "+u.Access)
						res, err := client.Do(r)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 200 && res.StatusCode != 201 {
							b.Errorf("status %d", res.StatusCode)
							return
						}
					}
				})
			})
		}
	}
}
