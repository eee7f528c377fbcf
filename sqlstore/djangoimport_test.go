package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// djangoSQLiteDDL is the schema Django 3.2's migrations make on SQLite for
// the design's models (sqlmigrate core 0001 and auth's), with a table of
// Django's own beside them that the import must not take for one of ours.
const djangoSQLiteDDL = `
CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL);
CREATE TABLE "auth_user_groups" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "group_id" integer NOT NULL);
CREATE TABLE "core_doctor" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "first_name" varchar(100) NOT NULL, "last_name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL UNIQUE, "specialization" varchar(100) NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL);
CREATE TABLE "core_patient" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "first_name" varchar(100) NOT NULL, "last_name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL UNIQUE, "dob" date NOT NULL, "notes" text NOT NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "created_by_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "core_patientdoctormapping" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "created_at" datetime NOT NULL, "doctor_id" bigint NOT NULL REFERENCES "core_doctor" ("id") DEFERRABLE INITIALLY DEFERRED, "patient_id" bigint NOT NULL REFERENCES "core_patient" ("id") DEFERRABLE INITIALLY DEFERRED, UNIQUE ("patient_id", "doctor_id"));
`

// A hash Django 3.2 made: make_password("s3cret-Passw0rd ü").
const djangoHash = "pbkdf2_sha256$260000$Trg1sm3bQzgqx5ynVWKl9i$heMhf7BqwYhuzpfAcgMY/aS8OF/Pwi4+0AyaW+7whI0="

// djangoSQLite makes a Django-shaped SQLite database, as Django's default
// engine would hold it (times as text, booleans as 0 and 1), runs the
// statements in it, and returns its URL and a handle for more.
func djangoSQLite(t *testing.T, stmts ...string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "django.sqlite3")
	raw := sqlstoretest.Raw(t, "sqlite://"+path)
	for _, s := range append([]string{djangoSQLiteDDL}, stmts...) {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("build source: %v\n%s", err, s)
		}
	}
	return "sqlite://" + path, raw
}

const djangoSeed = `
INSERT INTO auth_user VALUES (3, '` + djangoHash + `', NULL, 1, 'Ann', 'Lee', 'ann@example.com', 0, 1, '2026-01-02 03:04:05.123456', 'Ann');
INSERT INTO auth_user VALUES (7, '!unusable', NULL, 0, 'bob', '', 'Bob@Example.com', 0, 0, '2026-01-03 00:00:00', '');
INSERT INTO core_doctor VALUES (2, 'Alice', 'Smith', 'alice@clinic.com', 'Cardiology', '2026-02-01 10:00:00.5', '2026-02-02 10:00:00');
INSERT INTO core_doctor VALUES (5, 'Gus', 'Grey', 'gus@clinic.com', 'Neurology', '2026-02-01 10:00:00', '2026-02-01 10:00:00');
INSERT INTO core_patient VALUES (4, 'Jon', 'Doe', 'jon@example.com', '1990-01-01', 'N/A', '2026-03-01 12:00:00.000001', '2026-03-02 12:00:00', 3);
INSERT INTO core_patient VALUES (9, 'Zoë', 'Ünal', 'zoe@example.com', '1985-12-31', '', '2026-03-01 12:00:00', '2026-03-01 12:00:00', 3);
INSERT INTO core_patient VALUES (11, 'Max', 'Roe', 'max@example.com', '2001-07-04', 'allergic', '2026-03-05 00:00:00', '2026-03-05 00:00:00', 7);
INSERT INTO core_patientdoctormapping VALUES (6, '2026-04-01 00:00:00', 2, 4);
INSERT INTO core_patientdoctormapping VALUES (8, '2026-04-01 00:00:01', 5, 4);
`

func importDjango(t *testing.T, db *sqlstore.DB, src string, opt sqlstore.DjangoImportOptions) *sqlstore.DjangoImportReport {
	t.Helper()
	r, err := db.ImportDjango(context.Background(), src, opt)
	if err != nil {
		t.Fatalf("ImportDjango(%+v): %v (report %+v)", opt, err, r)
	}
	return r
}

func counts(r *sqlstore.DjangoImportReport) map[string]sqlstore.DjangoTableCount {
	m := map[string]sqlstore.DjangoTableCount{}
	for _, c := range r.Counts {
		m[c.Table] = c
	}
	return m
}

func rowCount(t *testing.T, raw *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The import keeps ids and every field, fills our own columns as a
// registration and a create would, moves the sequences past the ids, is
// audited once, and a second run changes nothing.
func TestImportDjango(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			db := sqlstoretest.Open(t, url)
			raw := sqlstoretest.Raw(t, url)
			src, srcDB := djangoSQLite(t, djangoSeed)
			ctx := context.Background()

			var found sqlstore.DjangoTables
			dry := importDjango(t, db, src, sqlstore.DjangoImportOptions{DryRun: true,
				Found: func(_ string, tables sqlstore.DjangoTables) { found = tables }})
			want := sqlstore.DjangoTables{Users: "auth_user", Patients: "core_patient", Doctors: "core_doctor",
				Assignments: "core_patientdoctormapping", PatientOwner: "created_by_id"}
			if diff := cmp.Diff(want, found); diff != "" {
				t.Errorf("found tables mismatch (-want +got):\n%s", diff)
			}
			if dry.Written || rowCount(t, raw, "users") != 0 {
				t.Fatalf("a dry run wrote")
			}
			if c := counts(dry)["patients"]; c.New != 3 || c.Source != 3 {
				t.Errorf("dry run patients = %+v", c)
			}

			r := importDjango(t, db, src, sqlstore.DjangoImportOptions{})
			if !r.Written || len(r.Conflicts) != 0 {
				t.Fatalf("import = %+v", r)
			}
			var u struct {
				username, ukey, email, ekey, first, hash string
				active, staff                            bool
				joined                                   time.Time
				changed                                  sql.NullTime
				version                                  int64
			}
			err := raw.QueryRow(`SELECT username, username_key, email, email_key, first_name, password_hash, is_active,
is_staff, date_joined, password_changed_at, credentials_version FROM users WHERE id = 7`).Scan(&u.username, &u.ukey,
				&u.email, &u.ekey, &u.first, &u.hash, &u.active, &u.staff, &u.joined, &u.changed, &u.version)
			if err != nil {
				t.Fatal(err)
			}
			if u.username != "bob" || u.ukey != "bob" || u.email != "Bob@Example.com" || u.ekey != "bob@example.com" ||
				u.hash != "!unusable" || u.active || u.staff || !u.joined.Equal(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)) ||
				u.changed.Valid || u.version != 0 {
				t.Errorf("user 7 = %+v", u)
			}
			var staff bool
			if err := raw.QueryRow(`SELECT is_staff FROM users WHERE id = 3`).Scan(&staff); err != nil || !staff {
				t.Errorf("superuser 3 is_staff = %v (%v), want true", staff, err)
			}
			if n := rowCount(t, raw, "login_names"); n != 4 {
				t.Errorf("login_names = %d, want 4", n)
			}

			// Ann (3) reads her patients through the store, as the API would.
			ann := healthcare.NewContextWithUser(ctx, &healthcare.User{ID: 3})
			patients := sqlstore.NewPatientService(db)
			got, total, err := patients.FindPatients(ann, healthcare.ListOptions{Page: 1, PageSize: 20})
			if err != nil || total != 2 {
				t.Fatalf("FindPatients = %d, %v", total, err)
			}
			wantJon := &healthcare.Patient{ID: 4, OwnerID: 3, FirstName: "Jon", LastName: "Doe", Email: "jon@example.com",
				DOB: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), Notes: "N/A", Version: 1,
				CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 1000, time.UTC), UpdatedAt: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
			if diff := cmp.Diff(wantJon, got[0]); diff != "" {
				t.Errorf("patient 4 mismatch (-want +got):\n%s", diff)
			}
			// Search works through the keys a create would have made.
			if _, n, err := patients.FindPatients(ann, healthcare.ListOptions{Page: 1, PageSize: 20, Search: "ÜNAL"}); err != nil || n != 1 {
				t.Errorf("search ÜNAL = %d, %v", n, err)
			}
			docs, _, err := sqlstore.NewAssignmentService(db).FindDoctorsOfPatient(ann, 4, healthcare.ListOptions{Page: 1, PageSize: 20})
			if err != nil || len(docs) != 2 || docs[0].ID != 2 || docs[1].ID != 5 {
				t.Errorf("doctors of patient 4 = %v, %v", docs, err)
			}
			if _, n, err := sqlstore.NewDoctorService(db).FindDoctors(ctx, healthcare.DoctorFilter{
				ListOptions: healthcare.ListOptions{Page: 1, PageSize: 20}, Specialization: "cardiology"}); err != nil || n != 1 {
				t.Errorf("doctors in cardiology = %d, %v", n, err)
			}

			// New rows take ids past the imported ones.
			p := &healthcare.Patient{FirstName: "New", LastName: "One", Email: "new@example.com", DOB: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
			if err := patients.CreatePatient(ann, p, nil); err != nil || p.ID != 12 {
				t.Errorf("new patient id = %d (%v), want 12", p.ID, err)
			}
			if id := insertUser(t, db, "carol"); id != 8 {
				t.Errorf("new user id = %d, want 8", id)
			}
			// A name an imported account holds, in another case, is taken.
			auth := sqlstore.NewAuthService(db, plainHasher{}, noPolicy{}, nil)
			if _, err := auth.Register(ctx, healthcare.Registration{Username: "BOB", Email: "x@example.com", Password: "x"}); healthcare.ErrorCode(err) != healthcare.EINVALID {
				t.Errorf("Register(BOB) = %v, want invalid", err)
			}

			var detail string
			if err := raw.QueryRow(`SELECT detail FROM audit_events WHERE action = 'import.django'`).Scan(&detail); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(detail, "source=sqlite ") || !strings.Contains(detail, "patients: new=3 ") ||
				strings.Contains(detail, "example.com") {
				t.Errorf("audit detail = %q", detail)
			}

			// Again: nothing new, nothing changed, not even the audit trail.
			events := rowCount(t, raw, "audit_events")
			again := importDjango(t, db, src, sqlstore.DjangoImportOptions{})
			if again.Written || rowCount(t, raw, "audit_events") != events {
				t.Errorf("a second import with nothing new wrote")
			}
			for _, c := range again.Counts {
				if c.New != 0 || c.Changed != 0 || c.Unchanged != c.Source {
					t.Errorf("second import %s = %+v", c.Table, c)
				}
			}
			// A row changed on the Django side since is reported, and left.
			if _, err := srcDB.Exec(`UPDATE core_patient SET notes = 'changed' WHERE id = 9;
INSERT INTO core_patient VALUES (13, 'Late', 'Comer', 'late@example.com', '1999-01-01', '', '2026-05-01 00:00:00', '2026-05-01 00:00:00', 7)`); err != nil {
				t.Fatal(err)
			}
			third := importDjango(t, db, src, sqlstore.DjangoImportOptions{})
			if diff := cmp.Diff(map[string][]int64{"patients": {9}}, third.Changed); diff != "" {
				t.Errorf("changed mismatch (-want +got):\n%s", diff)
			}
			if c := counts(third)["patients"]; c.New != 1 || c.Changed != 1 {
				t.Errorf("third import patients = %+v", c)
			}
			var notes string
			if err := raw.QueryRow(`SELECT notes FROM patients WHERE id = 9`).Scan(&notes); err != nil || notes != "" {
				t.Errorf("patient 9 notes = %q (%v): overwritten", notes, err)
			}
		})
	}
}

// Every rule the source breaks is reported by id; nothing is written until
// none remains, and the one flag resolves only its kind.
func TestImportDjangoConflicts(t *testing.T) {
	long := strings.Repeat("x", 101)
	src, _ := djangoSQLite(t, djangoSeed, `
INSERT INTO auth_user VALUES (20, 'md5$a$b', NULL, 0, 'eve', '', 'EVE@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO auth_user VALUES (21, '', NULL, 0, 'eve2', '', 'eve@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO auth_user VALUES (22, '', NULL, 0, 'frank@example.com', '', 'f@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO auth_user VALUES (23, '', NULL, 0, 'gina', '', 'frank@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO auth_user VALUES (24, '', NULL, 0, 'Hal', '', 'hal1@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO auth_user VALUES (25, '', NULL, 0, 'HAL', '', 'hal2@example.com', 0, 1, '2026-01-01 00:00:00', '`+strings.Repeat("y", 151)+`');
INSERT INTO core_patient VALUES (30, 'Dup', 'One', 'dup@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3);
INSERT INTO core_patient VALUES (31, 'Dup', 'Two', 'DUP@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3);
INSERT INTO core_patient VALUES (32, '`+long+`', 'Long', 'long@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3);
INSERT INTO core_patientdoctormapping VALUES (40, '2026-04-01 00:00:00', 99, 4);
INSERT INTO core_patientdoctormapping VALUES (41, '2026-04-01 00:00:00', 2, 98);
`)
	want := []sqlstore.DjangoConflict{
		{Table: "users", IDs: []int64{20}, Rule: "password: stored with a hasher, or a cost, this server does not verify"},
		{Table: "users", IDs: []int64{20, 21}, Rule: "emails equal once case is folded"},
		{Table: "users", IDs: []int64{22, 23}, Rule: "the username of one is the email of the other, once case is folded"},
		{Table: "users", IDs: []int64{25}, Rule: "first_name: Ensure this field has no more than 150 characters."},
		{Table: "users", IDs: []int64{24, 25}, Rule: "usernames equal once case is folded"},
		{Table: "patients", IDs: []int64{30, 31}, Rule: "one owner (user 3) holds both, with emails equal once case is folded"},
		{Table: "patients", IDs: []int64{32}, Rule: "first_name: Ensure this field has no more than 100 characters."},
		{Table: "assignments", IDs: []int64{40}, Rule: "doctor: no such doctor", Flag: "--skip-invalid-assignments"},
		{Table: "assignments", IDs: []int64{41}, Rule: "patient: no such patient", Flag: "--skip-invalid-assignments"},
	}
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		for _, dry := range []bool{true, false} {
			r, err := db.ImportDjango(context.Background(), src, sqlstore.DjangoImportOptions{DryRun: dry})
			if !errors.Is(err, sqlstore.ErrDjangoConflicts) {
				t.Fatalf("ImportDjango(dry run %v) = %v, want conflicts", dry, err)
			}
			if diff := cmp.Diff(want, r.Conflicts); diff != "" {
				t.Errorf("conflicts mismatch (-want +got):\n%s", diff)
			}
		}
		r, err := db.ImportDjango(context.Background(), src, sqlstore.DjangoImportOptions{SkipInvalidAssignments: true})
		if !errors.Is(err, sqlstore.ErrDjangoConflicts) || r.Written {
			t.Fatalf("ImportDjango(skip) = %v, want the other conflicts to remain", err)
		}
		for _, c := range r.Conflicts {
			if c.Resolved != (c.Table == "assignments") {
				t.Errorf("conflict %+v resolved = %v", c, c.Resolved)
			}
		}
		if _, n, err := sqlstore.NewDoctorService(db).FindDoctors(context.Background(),
			healthcare.DoctorFilter{ListOptions: healthcare.ListOptions{Page: 1, PageSize: 20}}); err != nil || n != 0 {
			t.Errorf("doctors after refused imports = %d, %v", n, err)
		}
	})
}

// Only the assignment flag's kind left: the import goes ahead without them.
func TestImportDjangoSkipInvalidAssignments(t *testing.T) {
	src, _ := djangoSQLite(t, djangoSeed, `INSERT INTO core_patientdoctormapping VALUES (40, '2026-04-01 00:00:00', 99, 4)`)
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		r := importDjango(t, db, src, sqlstore.DjangoImportOptions{SkipInvalidAssignments: true})
		if c := counts(r)["assignments"]; c.Skipped != 1 || c.New != 2 {
			t.Errorf("assignments = %+v", c)
		}
	})
}

// schemaDump lists the target's tables, indexes and constraints as the
// engine's catalog defines them.
func schemaDump(t *testing.T, raw *sql.DB, engine string) []string {
	t.Helper()
	query := `SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name`
	if engine == "postgres" {
		query = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL SELECT c.conname || ': ' || pg_get_constraintdef(c.oid) FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() ORDER BY 1`
	}
	rows, err := raw.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// An import cancelled mid-copy leaves the target as it was, indexes and
// constraints included (a large first import into PostgreSQL builds them
// after the copy), and a whole import leaves them as they were too.
func TestImportDjangoInterrupted(t *testing.T) {
	const patients = 12_000
	var rows strings.Builder
	rows.WriteString("INSERT INTO core_patient VALUES ")
	for i := range patients {
		if i > 0 {
			rows.WriteString(", ")
		}
		rows.WriteString("(" + strconv.Itoa(100+i) + ", 'P', 'Q', 'p" + strconv.Itoa(i) + "@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3)")
	}
	src, _ := djangoSQLite(t, djangoSeed, rows.String())
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			db := sqlstoretest.Open(t, url)
			raw := sqlstoretest.Raw(t, url)
			before := schemaDump(t, raw, engine)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var seen int64
			_, err := db.ImportDjango(ctx, src, sqlstore.DjangoImportOptions{Progress: func(table string, done, _ int64) {
				if table == "patients" && seen == 0 {
					seen = done
					cancel() // mid-copy: a batch is in, more to come
				}
			}})
			if err == nil || seen == 0 {
				t.Fatalf("cancelled import = %v after %d patients, want an error mid-copy", err, seen)
			}
			for _, table := range []string{"users", "login_names", "patients", "doctors", "assignments", "audit_events"} {
				if n := rowCount(t, raw, table); n != 0 {
					t.Errorf("%s holds %d rows after an interrupted import", table, n)
				}
			}
			if diff := cmp.Diff(before, schemaDump(t, raw, engine)); diff != "" {
				t.Errorf("schema after an interrupted import mismatch (-before +after):\n%s", diff)
			}
			// And it runs again whole.
			r := importDjango(t, db, src, sqlstore.DjangoImportOptions{})
			if c := counts(r)["patients"]; c.New != patients+3 {
				t.Errorf("patients = %+v", c)
			}
			if diff := cmp.Diff(before, schemaDump(t, raw, engine)); diff != "" {
				t.Errorf("schema after an import mismatch (-before +after):\n%s", diff)
			}
			// The rebuilt constraints hold: one owner, one email.
			if _, err := raw.Exec(`INSERT INTO patients (owner_id, first_name, last_name, email, email_key, dob, notes,
search_key, version, created_at, updated_at) SELECT owner_id, first_name, last_name, email, email_key, dob, notes,
search_key, version, created_at, updated_at FROM patients WHERE id = 100`); err == nil {
				t.Error("a second patient with one owner's email was stored")
			}
		})
	}
}

// Tables are found by their columns whatever the models are called; when
// two tables fit, the error names the flag, and the flag settles it.
func TestImportDjangoDiscovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custom.sqlite3")
	raw := sqlstoretest.Raw(t, "sqlite://"+path)
	_, err := raw.Exec(`
CREATE TABLE accounts_user (id integer PRIMARY KEY, password text NOT NULL, username text NOT NULL, email text NOT NULL,
  is_active bool NOT NULL);
CREATE TABLE clinic_record (id integer PRIMARY KEY, owner_id integer NOT NULL, first_name text NOT NULL,
  last_name text NOT NULL, email text NOT NULL, dob date NOT NULL, notes text NOT NULL);
CREATE TABLE clinic_physician (id integer PRIMARY KEY, first_name text, last_name text, email text, specialization text);
CREATE TABLE old_physician (id integer PRIMARY KEY, first_name text, last_name text, email text, specialization text);
CREATE TABLE clinic_link (id integer PRIMARY KEY, patient_id integer NOT NULL, doctor_id integer NOT NULL);
INSERT INTO accounts_user VALUES (1, '!', 'ann', 'ann@example.com', 1);
INSERT INTO clinic_record VALUES (2, 1, 'Jon', 'Doe', 'jon@example.com', '1990-01-01', '');
INSERT INTO clinic_physician VALUES (3, 'Al', 'Smith', 'al@clinic.com', 'Cardiology');
INSERT INTO clinic_link VALUES (4, 2, 3);`)
	if err != nil {
		t.Fatal(err)
	}
	src := "sqlite://" + path
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		_, err := db.ImportDjango(context.Background(), src, sqlstore.DjangoImportOptions{DryRun: true})
		if err == nil || !strings.Contains(err.Error(), "clinic_physician, old_physician") || !strings.Contains(err.Error(), "--doctors-table") {
			t.Fatalf("two doctor tables: %v, want an error naming both and the flag", err)
		}
		var found sqlstore.DjangoTables
		r := importDjango(t, db, src, sqlstore.DjangoImportOptions{Tables: sqlstore.DjangoTables{Doctors: "clinic_physician"},
			Found: func(_ string, tables sqlstore.DjangoTables) { found = tables }})
		want := sqlstore.DjangoTables{Users: "accounts_user", Patients: "clinic_record", Doctors: "clinic_physician",
			Assignments: "clinic_link", PatientOwner: "owner_id"}
		if diff := cmp.Diff(want, found); diff != "" {
			t.Errorf("found tables mismatch (-want +got):\n%s", diff)
		}
		for _, c := range r.Counts {
			if c.New != 1 {
				t.Errorf("%s = %+v, want one new row", c.Table, c)
			}
		}
		// Columns the source lacks take their defaults: the import's time.
		p, err := sqlstore.NewPatientService(db).FindPatientByID(as(1), 2)
		if err != nil || p.CreatedAt.IsZero() || !p.UpdatedAt.Equal(p.CreatedAt) {
			t.Errorf("patient 2 = %+v, %v", p, err)
		}
		if _, err := db.ImportDjango(context.Background(), src, sqlstore.DjangoImportOptions{
			Tables: sqlstore.DjangoTables{Doctors: "nope"}}); err == nil || !strings.Contains(err.Error(), `doctors table "nope"`) {
			t.Errorf("a missing named table: %v", err)
		}
	})
}

// New source rows are checked against what was made here since the last
// import: a name, a patient email of the same owner, an assignment pair.
func TestImportDjangoConflictsWithRowsHere(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		src, srcDB := djangoSQLite(t, djangoSeed)
		importDjango(t, db, src, sqlstore.DjangoImportOptions{})
		zed := insertUser(t, db, "zed") // id 8, zed@example.com
		ann := as(3)
		p := &healthcare.Patient{FirstName: "Here", LastName: "Made", Email: "here@example.com", DOB: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := sqlstore.NewPatientService(db).CreatePatient(ann, p, nil); err != nil {
			t.Fatal(err)
		}
		a := &healthcare.Assignment{PatientID: 9, DoctorID: 2}
		if err := sqlstore.NewAssignmentService(db).CreateAssignment(ann, a, nil); err != nil {
			t.Fatal(err)
		}
		_, err := srcDB.Exec(`
INSERT INTO auth_user VALUES (30, '!', NULL, 0, 'ZED', '', 'z2@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO core_patient VALUES (40, 'Dj', 'Made', 'HERE@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3);
INSERT INTO core_patientdoctormapping VALUES (50, '2026-04-01 00:00:00', 2, 9);`)
		if err != nil {
			t.Fatal(err)
		}
		r, err := db.ImportDjango(context.Background(), src, sqlstore.DjangoImportOptions{DryRun: true})
		if !errors.Is(err, sqlstore.ErrDjangoConflicts) {
			t.Fatalf("ImportDjango = %v, want conflicts", err)
		}
		want := []sqlstore.DjangoConflict{
			{Table: "users", IDs: []int64{zed, 30}, Rule: "usernames equal once case is folded (user 8 is here already)"},
			{Table: "patients", IDs: []int64{p.ID, 40}, Rule: "one owner (user 3) holds both, with emails equal once case is folded (patient 12 is here already)"},
			{Table: "assignments", IDs: []int64{50}, Rule: "the pair of patient and doctor is assigned already (assignment " +
				strconv.FormatInt(a.ID, 10) + ")", Flag: "--skip-invalid-assignments"},
		}
		if diff := cmp.Diff(want, r.Conflicts); diff != "" {
			t.Errorf("conflicts mismatch (-want +got):\n%s", diff)
		}
	})
}

// Rows Django made after an import, under ids that accounts and records
// made here since hold, are conflicts: taking them as the same rows would
// hand Django's new patients to a stranger here. Ids a JSON client cannot
// read are refused too.
func TestImportDjangoIDsTakenHere(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		src, srcDB := djangoSQLite(t, djangoSeed)
		importDjango(t, db, src, sqlstore.DjangoImportOptions{})
		stranger := insertUser(t, db, "stranger") // the next id here
		p := &healthcare.Patient{FirstName: "Here", LastName: "Made", Email: "here@example.com", DOB: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := sqlstore.NewPatientService(db).CreatePatient(as(stranger), p, nil); err != nil {
			t.Fatal(err)
		}
		_, err := srcDB.Exec(fmt.Sprintf(`
INSERT INTO auth_user VALUES (%d, '!', NULL, 0, 'djnew', '', 'djnew@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO core_patient VALUES (%d, 'Secret', 'Record', 'secret@example.com', '1990-01-01', 'private', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3);
INSERT INTO auth_user VALUES (9007199254740992, '!', NULL, 0, 'huge', '', 'huge@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO auth_user VALUES (-5, '!', NULL, 0, 'negative', '', 'negative@example.com', 0, 1, '2026-01-01 00:00:00', '');
INSERT INTO core_patient VALUES (77, 'N' || char(0) || 'ul', 'Byte', 'nul@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3);`, stranger, p.ID))
		if err != nil {
			t.Fatal(err)
		}
		r, err := db.ImportDjango(context.Background(), src, sqlstore.DjangoImportOptions{})
		if !errors.Is(err, sqlstore.ErrDjangoConflicts) || r.Written {
			t.Fatalf("ImportDjango = %v (written %v), want conflicts and nothing written", err, r != nil && r.Written)
		}
		taken := "id: held here by another record, made after an import while Django went on writing"
		want := []sqlstore.DjangoConflict{
			{Table: "users", IDs: []int64{-5, 9007199254740992}, Rule: "id: outside 1 to 9007199254740991"},
			{Table: "users", IDs: []int64{stranger}, Rule: taken},
			{Table: "patients", IDs: []int64{p.ID}, Rule: taken},
			{Table: "patients", IDs: []int64{77}, Rule: "text: holds a NUL character"},
		}
		got := slices.DeleteFunc(slices.Clone(r.Conflicts), func(c sqlstore.DjangoConflict) bool {
			return !strings.HasPrefix(c.Rule, "id:") && !strings.HasPrefix(c.Rule, "text:")
		})
		slices.SortFunc(got, func(a, b sqlstore.DjangoConflict) int {
			if a.Table != b.Table {
				return strings.Compare(b.Table, a.Table) // users first
			}
			return int(a.IDs[0] - b.IDs[0])
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("conflicts mismatch (-want +got):\n%s", diff)
		}
	})
}
