package sqlstore_test

import (
	"context"
	"testing"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// TestAuditAppendOnly: the database itself refuses to change or remove an
// event, whatever the SQL.
func TestAuditAppendOnly(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			db := sqlstoretest.Open(t, url)
			newFixture(t, db) // leaves events behind
			raw := sqlstoretest.Raw(t, url)
			ctx := context.Background()
			var before int
			if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM audit_events").Scan(&before); err != nil || before == 0 {
				t.Fatalf("events before = %d, %v", before, err)
			}
			statements := []string{
				"UPDATE audit_events SET outcome = 'ok'",
				"UPDATE audit_events SET actor_id = NULL WHERE id = 1",
				"DELETE FROM audit_events",
				"DELETE FROM audit_events WHERE id = 1",
			}
			if engine == "postgres" {
				statements = append(statements, "TRUNCATE audit_events")
			}
			for _, stmt := range statements {
				if _, err := raw.ExecContext(ctx, stmt); err == nil {
					t.Errorf("%q succeeded on the audit trail", stmt)
				}
			}
			var after int
			if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM audit_events").Scan(&after); err != nil || after != before {
				t.Errorf("events after tampering = %d (%v), want %d", after, err, before)
			}
		})
	}
}

// TestAuditAtomicWithChange: when the event cannot be written, the change
// is rolled back too.
func TestAuditAtomicWithChange(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			db := sqlstoretest.Open(t, url)
			f := newFixture(t, db)
			raw := sqlstoretest.Raw(t, url)
			breakAudit := map[string]string{
				"postgres": "ALTER TABLE audit_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID",
				"sqlite":   "CREATE TRIGGER refuse_all BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'refused'); END",
			}[engine]
			if _, err := raw.Exec(breakAudit); err != nil {
				t.Fatal(err)
			}
			p := &healthcare.Patient{FirstName: "N", LastName: "N", Email: "n@n.com", DOB: f.alicePat.DOB}
			if err := f.patients.CreatePatient(f.alice, p); healthcare.ErrorCode(err) != healthcare.EINTERNAL {
				t.Errorf("CreatePatient with a broken audit trail = %v, want an internal error", err)
			}
			notes := "changed"
			if _, err := f.patients.UpdatePatient(f.alice, f.alicePat.ID, healthcare.PatientUpdate{Notes: &notes}, nil); err == nil {
				t.Error("UpdatePatient succeeded with a broken audit trail")
			}
			if err := f.patients.DeletePatient(f.alice, f.alicePat.ID, nil); err == nil {
				t.Error("DeletePatient succeeded with a broken audit trail")
			}
			if _, err := f.patients.FindPatientByID(f.alice, f.alicePat.ID); err == nil {
				t.Error("FindPatientByID disclosed a patient whose read could not be recorded")
			}
			var n int
			var gotNotes string
			if err := raw.QueryRow("SELECT count(*) FROM patients").Scan(&n); err != nil || n != 2 {
				t.Errorf("patients = %d (%v), want the 2 of the fixture", n, err)
			}
			if err := raw.QueryRow("SELECT notes FROM patients WHERE id = $1", f.alicePat.ID).Scan(&gotNotes); err != nil || gotNotes != "" {
				t.Errorf("notes = %q (%v), want unchanged", gotNotes, err)
			}
		})
	}
}

func TestAuditDisabledForBenchmark(t *testing.T) {
	url := sqlstoretest.SQLiteURL(t)
	sqlstoretest.Open(t, url) // migrate
	db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{DisableAuditForBenchmark: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	newFixture(t, db)
	var n int
	if err := sqlstoretest.Raw(t, url).QueryRow("SELECT count(*) FROM audit_events").Scan(&n); err != nil || n != 0 {
		t.Errorf("events with auditing off = %d (%v), want 0", n, err)
	}
}
