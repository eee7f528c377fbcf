package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// BenchmarkStore measures the store's hot queries on PostgreSQL with 1,000
// patients per owner and 200 doctors, audit included where the API has it.
func BenchmarkStore(b *testing.B) {
	db := sqlstoretest.Open(b, sqlstoretest.PostgresURL(b))
	ctx := context.Background()
	owner := as(insertUser(b, db, "bench"))
	patients, doctors := sqlstore.NewPatientService(db), sqlstore.NewDoctorService(db)
	ids := createPatients(b, patients, owner, 1000)
	for i := range 200 {
		d := &healthcare.Doctor{FirstName: "Doc", LastName: fmt.Sprintf("Who%03d", i), Email: fmt.Sprintf("d%d@clinic.com", i),
			Specialization: []string{"Cardiology", "Neurology", "Oncology", "Pediatrics"}[i%4]}
		if err := doctors.CreateDoctor(owner, d, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("FindPatientByID", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := patients.FindPatientByID(owner, ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindPatients", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := patients.FindPatients(owner, healthcare.ListOptions{Page: 3, PageSize: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindDoctorsSearch", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := doctors.FindDoctors(ctx, healthcare.DoctorFilter{ListOptions: healthcare.ListOptions{Page: 1, PageSize: 20, Search: "neuro"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreatePatient", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			p := &healthcare.Patient{FirstName: "New", LastName: "One", Email: fmt.Sprintf("new%d@example.com", i),
				DOB: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
			if err := patients.CreatePatient(owner, p, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// createPatients makes n patients for the owner in ctx and returns their ids.
func createPatients(b *testing.B, patients *sqlstore.PatientService, ctx context.Context, n int) []int64 {
	b.Helper()
	ids := make([]int64, 0, n)
	for i := range n {
		p := &healthcare.Patient{FirstName: "Pat", LastName: fmt.Sprintf("Name%04d", i), Email: fmt.Sprintf("p%d@example.com", i),
			DOB: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := patients.CreatePatient(ctx, p, nil); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// BenchmarkAuditInsert measures one group commit of the audit trail (a
// multi-row INSERT with no transaction around it) on each engine, and
// reports the CPU it takes per event (wall time on shared cores is mostly
// waiting): what the append-only triggers add to every audited request
// shows here first.
func BenchmarkAuditInsert(b *testing.B) {
	for _, engine := range sqlstoretest.Engines {
		for _, n := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/events=%d", engine, n), func(b *testing.B) {
				db := sqlstoretest.Open(b, sqlstoretest.URL(b, engine))
				ctx := context.Background()
				events := make([]*healthcare.AuditEvent, n)
				for i := range events {
					events[i] = &healthcare.AuditEvent{ActorID: 1, Action: healthcare.ActionPatientRead, ObjectType: "patient",
						ObjectID: int64(i + 1), PatientID: int64(i + 1), OwnerID: 1, Outcome: healthcare.OutcomeOK,
						ClientAddr: "192.0.2.1", RequestID: "bench"}
				}
				before := cpuTime()
				for b.Loop() {
					if err := db.InsertAuditEvents(ctx, events); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-before)/float64(b.N*n), "cpu-ns/event")
			})
		}
	}
}
