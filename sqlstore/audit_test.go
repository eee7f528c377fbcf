package sqlstore_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// TestAuditAppendOnly: the database itself refuses to change or remove an
// event, whatever the SQL: every statement either engine accepts that could
// rewrite a row is refused, or leaves every event byte for byte as it was.
func TestAuditAppendOnly(t *testing.T) {
	// forged would take the place of event 1.
	const (
		cols   = "(id, at, action, object_type, outcome, client_addr, request_id)"
		forged = " VALUES (1, '2000-01-01 00:00:00', 'forged', 'patient', 'ok', '203.0.113.9', 'forged')"
		insert = "INSERT INTO audit_events " + cols + forged
	)
	// Statements marked noop may succeed, as long as they change nothing.
	type stmt struct {
		sql  string
		noop bool
	}
	shared := []stmt{
		{sql: "UPDATE audit_events SET outcome = 'ok'"},
		{sql: "UPDATE audit_events SET actor_id = NULL WHERE id = 1"},
		{sql: "UPDATE audit_events SET id = 1000 WHERE id = 1"},
		{sql: "DELETE FROM audit_events"},
		{sql: "DELETE FROM audit_events WHERE id = 1"},
		{sql: insert},
		{sql: insert + " ON CONFLICT (id) DO UPDATE SET action = excluded.action"},
		{sql: insert + " ON CONFLICT (id) DO NOTHING", noop: true},
		{sql: insert + " ON CONFLICT DO NOTHING", noop: true},
	}
	only := map[string][]stmt{
		// REPLACE deletes the row in its way without firing delete
		// triggers (unless recursive_triggers is on for that connection).
		"sqlite": {
			{sql: "REPLACE INTO audit_events " + cols + forged},
			{sql: "INSERT OR REPLACE INTO audit_events " + cols + forged},
			{sql: "INSERT OR REPLACE INTO audit_events (rowid, at, action, object_type, outcome, client_addr, request_id)" + forged},
			{sql: "INSERT OR REPLACE INTO audit_events " + cols + " SELECT 1, at, 'forged', object_type, outcome, client_addr, request_id FROM audit_events WHERE id = 2"},
			{sql: "INSERT OR IGNORE INTO audit_events " + cols + forged, noop: true},
			{sql: "INSERT OR FAIL INTO audit_events " + cols + forged},
			{sql: insert + " ON CONFLICT DO UPDATE SET action = excluded.action"},
			{sql: "UPDATE OR REPLACE audit_events SET outcome = 'denied' WHERE id = 1"},
			{sql: "UPDATE OR REPLACE audit_events SET id = 1 WHERE id = 2"},
			{sql: "UPDATE OR IGNORE audit_events SET outcome = 'denied' WHERE id = 1"},
			// The insert trigger reads the store's own inserts as id -1,
			// so no row may have an id below 1 (see migration 00005).
			{sql: "INSERT INTO audit_events " + cols + strings.Replace(forged, "(1,", "(-1,", 1)},
			{sql: "REPLACE INTO audit_events " + cols + strings.Replace(forged, "(1,", "(0,", 1)},
		},
		"postgres": {
			{sql: "TRUNCATE audit_events"},
			{sql: "TRUNCATE audit_events RESTART IDENTITY CASCADE"},
			{sql: "INSERT INTO audit_events " + cols + " OVERRIDING SYSTEM VALUE" + forged +
				" ON CONFLICT (id) DO UPDATE SET action = excluded.action"},
			{sql: "MERGE INTO audit_events e USING (VALUES (1)) s (id) ON e.id = s.id WHEN MATCHED THEN UPDATE SET action = 'forged'"},
			{sql: "MERGE INTO audit_events e USING (VALUES (1)) s (id) ON e.id = s.id WHEN MATCHED THEN DELETE"},
			// A superuser's replica role skips triggers that are merely
			// ENABLEd; no DDL needed.
			{sql: "SET LOCAL session_replication_role = replica; UPDATE audit_events SET action = 'forged' WHERE id = 1"},
			{sql: "SET LOCAL session_replication_role = replica; DELETE FROM audit_events WHERE id = 1"},
			{sql: "SET LOCAL session_replication_role = replica; TRUNCATE audit_events"},
			{sql: "SET LOCAL session_replication_role = replica; " + insert + " ON CONFLICT (id) DO UPDATE SET action = excluded.action"},
		},
	}
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			db := sqlstoretest.Open(t, url)
			newFixture(t, db) // leaves events behind
			raw := sqlstoretest.Raw(t, url)
			ctx := context.Background()
			cols, err := db.Columns(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := auditSnapshot(t, raw, engine, cols["audit_events"])
			if len(before) < 2 {
				t.Fatalf("events before = %d, want at least 2", len(before))
			}
			for _, s := range append(shared, only[engine]...) {
				_, err := raw.ExecContext(ctx, s.sql)
				if err == nil && !s.noop {
					t.Errorf("%q succeeded on the audit trail", s.sql)
				}
				after := auditSnapshot(t, raw, engine, cols["audit_events"])
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("%q (err %v) changed the audit trail (-before +after):\n%s", s.sql, err, diff)
					before = after
				}
			}
		})
	}
}

// auditSnapshot returns every event as the engine's own text of its
// columns, in id order: no driver conversion hides a changed byte or type.
func auditSnapshot(t *testing.T, raw *sql.DB, engine string, cols []string) []string {
	t.Helper()
	q := "SELECT CAST(e AS TEXT) FROM audit_events e ORDER BY id"
	if engine == "sqlite" {
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = "quote(" + c + ")"
		}
		q = "SELECT " + strings.Join(quoted, " || ',' || ") + " FROM audit_events ORDER BY id"
	}
	rows, err := raw.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("read audit trail: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("read audit trail: %v", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read audit trail: %v", err)
	}
	return out
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
			if err := f.patients.CreatePatient(f.alice, p, nil); healthcare.ErrorCode(err) != healthcare.EINTERNAL {
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
	db, err := sqlstore.OpenWithoutAudit(context.Background(), url, sqlstore.Options{})
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

// TestAuditInvolving: a user sees the events they acted in and those on
// their patients whoever acted, anonymous attempts included, and nothing
// else; a staff member's "involving" filter picks the same events. The
// owner index holds only events whose owner is not their actor, so each
// pairing of actor and owner is here.
func TestAuditInvolving(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		const ann, bob = 1, 2
		pairs := []struct {
			actor, owner int64
			annSees      bool
		}{
			{ann, ann, true}, {bob, ann, true}, {0, ann, true}, {ann, 0, true}, {ann, bob, true},
			{bob, bob, false}, {bob, 0, false}, {0, bob, false}, {0, 0, false},
		}
		var events []*healthcare.AuditEvent
		for i, p := range pairs {
			events = append(events, &healthcare.AuditEvent{ActorID: p.actor, OwnerID: p.owner, ObjectID: int64(i + 1),
				Action: healthcare.ActionPatientRead, ObjectType: "patient", Outcome: healthcare.OutcomeOK,
				ClientAddr: "192.0.2.1", RequestID: "involving"})
		}
		ctx := context.Background()
		if err := db.InsertAuditEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
		var want []int64
		for i := len(pairs) - 1; i >= 0; i-- {
			if pairs[i].annSees {
				want = append(want, int64(i+1))
			}
		}
		audit := sqlstore.NewAuditService(db)
		page := healthcare.ListOptions{Page: 1, PageSize: 50}
		for name, c := range map[string]struct {
			user *healthcare.User
			f    healthcare.AuditFilter
		}{
			"ann herself":      {&healthcare.User{ID: ann}, healthcare.AuditFilter{ListOptions: page}},
			"staff, involving": {&healthcare.User{ID: 99, IsStaff: true}, healthcare.AuditFilter{ListOptions: page, Involving: ann}},
		} {
			got, total, err := audit.FindEvents(healthcare.NewContextWithUser(ctx, c.user), c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, ev := range got {
				ids = append(ids, ev.ObjectID)
			}
			if !slices.Equal(ids, want) || total != len(want) {
				t.Errorf("%s: events on objects %v (count %d), want %v", name, ids, total, want)
			}
		}
	})
}

// TestAuditPageReadsByIndex: on PostgreSQL, a user's page of events, or a
// filtered one, is read through the indexes of its filter, however many
// other events there are, never by walking every event in id order (which
// took 1.8 s for one user among 3 million): each request of any account
// would otherwise cost the database in proportion to the whole trail.
func TestAuditPageReadsByIndex(t *testing.T) {
	url := sqlstoretest.URL(t, "postgres")
	db := sqlstoretest.Open(t, url)
	raw := sqlstoretest.Raw(t, url)
	ctx := context.Background()
	for _, stmt := range []string{
		`INSERT INTO audit_events (at, actor_id, action, object_type, object_id, patient_id, owner_id, outcome, client_addr, request_id)
		 SELECT now(), u, 'patient.read', 'patient', u * 20, u * 20, u, 'ok', '192.0.2.1', 'plan'
		 FROM (SELECT (g % 1000) + 1 AS u FROM generate_series(1, 200000) g) s`,
		`ANALYZE audit_events`,
	} {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	page := healthcare.ListOptions{Page: 1, PageSize: 20}
	for name, c := range map[string]struct {
		user *healthcare.User
		f    healthcare.AuditFilter
	}{
		"own events":           {&healthcare.User{ID: 5}, healthcare.AuditFilter{ListOptions: page}},
		"own, one patient":     {&healthcare.User{ID: 5}, healthcare.AuditFilter{ListOptions: page, PatientID: 100}},
		"staff, involving one": {&healthcare.User{ID: 1, IsStaff: true}, healthcare.AuditFilter{ListOptions: page, Involving: 5}},
	} {
		plan, err := db.ExplainEvents(healthcare.NewContextWithUser(ctx, c.user), c.f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plan, "audit_events_pkey") || !strings.Contains(plan, "audit_events_actor_idx") {
			t.Errorf("%s: the page is not read by the actor index:\n%s", name, plan)
		}
	}
}
