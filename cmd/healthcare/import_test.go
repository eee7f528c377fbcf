package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// runCommand runs the binary's run with args and env, and returns what it
// printed and its error.
func runCommand(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &out)
	return out.String(), err
}

func mustRunCommand(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, err := runCommand(t, env, args...)
	if err != nil {
		t.Fatalf("healthcare %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

type djangoAccount struct {
	username, email, password string
	id                        float64
	access, refresh           string
}

// results lists a page's results as objects.
func results(page map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range page["results"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// sameRecords compares two lists of records on fields, times as instants.
func sameRecords(t *testing.T, what string, want, got []map[string]any, fields ...string) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d records here, %d in Django", what, len(got), len(want))
		return
	}
	for i := range want {
		for _, f := range fields {
			w, g := want[i][f], got[i][f]
			if ws, ok := w.(string); ok && (f == "created_at" || f == "updated_at") {
				wt, err1 := time.Parse(time.RFC3339Nano, ws)
				gt, err2 := time.Parse(time.RFC3339Nano, fmt.Sprint(g))
				if err1 != nil || err2 != nil || !wt.Equal(gt) {
					t.Errorf("%s #%d %s = %v here, %v in Django", what, i, f, g, w)
				}
				continue
			}
			if fmt.Sprint(w) != fmt.Sprint(g) {
				t.Errorf("%s #%d %s = %v here, %v in Django", what, i, f, g, w)
			}
		}
	}
}

// The cut-over, against the Django design itself: its users, with the
// hashes and tokens Django made, their patients, doctors and assignments
// are imported; every user logs in here with the same password and sees
// the same records under the same ids; Django's tokens still work; a
// second import changes nothing. Then rows that break our rules, made in
// Django's database with SQL, are each reported and block the import.
func TestImportFromDjango(t *testing.T) {
	djangoBase, source := startDjango(t)
	dj := client{t: t, base: djangoBase}
	accounts := []*djangoAccount{
		{username: "imp_ann", email: "Ann.Imp@Example.com", password: "Tr1cky-pass-ann"},
		{username: "imp_bob", email: "bob.imp@example.com", password: "Tr1cky-pass-bob"},
		{username: "imp_cyd", email: "cyd.imp@example.com", password: "Tr1cky-pass-cyd"},
	}
	for _, a := range accounts {
		r := dj.call("POST", "/api/auth/register/", "", map[string]any{"username": a.username, "email": a.email, "password": a.password}, 201)
		a.id = r["id"].(float64)
		tok := dj.call("POST", "/api/auth/login/", "", map[string]any{"username": a.username, "password": a.password}, 200)
		a.access, a.refresh = tok["access"].(string), tok["refresh"].(string)
	}
	ann, bob := accounts[0], accounts[1]
	d1 := dj.call("POST", "/api/doctors/", ann.access, map[string]any{"first_name": "Alice", "last_name": "Smith",
		"email": "alice.imp@clinic.com", "specialization": "Cardiology"}, 201)
	d2 := dj.call("POST", "/api/doctors/", bob.access, map[string]any{"first_name": "Gus", "last_name": "Grey",
		"email": "gus.imp@clinic.com", "specialization": "Neurology"}, 201)
	patient := func(a *djangoAccount, first, email, dob, notes string) map[string]any {
		return dj.call("POST", "/api/patients/", a.access, map[string]any{"first_name": first, "last_name": "Doe",
			"email": email, "dob": dob, "notes": notes}, 201)
	}
	p1 := patient(ann, "Jon", "jon.imp@example.com", "1990-01-01", "N/A")
	patient(ann, "Zoë", "zoe.imp@example.com", "1985-12-31", "")
	p3 := patient(bob, "Max", "max.imp@example.com", "2001-07-04", "allergic to penicillin")
	for _, m := range []struct {
		a       *djangoAccount
		patient any
		doctor  any
	}{{ann, p1["id"], d1["id"]}, {ann, p1["id"], d2["id"]}, {bob, p3["id"], d2["id"]}} {
		dj.call("POST", "/api/mappings/", m.a.access, map[string]any{"patient": m.patient, "doctor": m.doctor}, 201)
	}
	// What Django shows each account.
	type view struct{ patients, mappings []map[string]any }
	views := map[string]view{}
	for _, a := range accounts {
		views[a.username] = view{
			patients: results(dj.call("GET", "/api/patients/?page_size=100", a.access, nil, 200)),
			mappings: results(dj.call("GET", "/api/mappings/?page_size=100", a.access, nil, 200)),
		}
	}
	doctors := results(dj.call("GET", "/api/doctors/?page_size=100", "", nil, 200))

	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			url := sqlstoretest.URL(t, engine)
			env := map[string]string{"DATABASE_URL": url, "SECRET_KEY": djangoKey}
			mustRunCommand(t, env, "migrate")
			out := mustRunCommand(t, env, "import", "django", source, "--dry-run")
			for _, want := range []string{
				"found in postgres 127.0.0.1:5432/" + django.dbName + ": users auth_user, patients core_patient (owner created_by_id), doctors core_doctor, assignments core_patientdoctormapping",
				"patients:    3 in the source: 3 to add, 0 here already", "dry run: nothing written",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("dry run output lacks %q:\n%s", want, out)
				}
			}
			out = mustRunCommand(t, env, "import", "django", source)
			if !strings.Contains(out, "assignments: 3 in the source: 3 new") || strings.Contains(out, "postgres@") {
				t.Errorf("import output:\n%s", out)
			}

			base, _, stop := startServer(t, env)
			c := client{t: t, base: base}
			// A token Django issued before the switch still works.
			if me := c.call("GET", "/api/auth/me/", ann.access, nil, 200); me["username"] != ann.username {
				t.Errorf("me with Django's token = %v", me)
			}
			for _, a := range accounts {
				tok := c.call("POST", "/api/auth/login/", "", map[string]any{"username": a.username, "password": a.password}, 200)
				access := tok["access"].(string)
				v := views[a.username]
				sameRecords(t, a.username+"'s patients", v.patients, results(c.call("GET", "/api/patients/?page_size=100", access, nil, 200)),
					"id", "first_name", "last_name", "email", "dob", "notes", "created_at", "updated_at")
				sameRecords(t, a.username+"'s assignments", v.mappings, results(c.call("GET", "/api/mappings/?page_size=100", access, nil, 200)),
					"id", "patient", "doctor", "created_at")
			}
			sameRecords(t, "doctors", doctors, results(c.call("GET", "/api/doctors/?page_size=100", "", nil, 200)),
				"id", "first_name", "last_name", "email", "specialization", "created_at", "updated_at")
			// The login replaced Django's hash with ours.
			var hash string
			if err := sqlstoretest.Raw(t, url).QueryRow(`SELECT password_hash FROM users WHERE id = $1`, int64(ann.id)).Scan(&hash); err != nil ||
				!strings.HasPrefix(hash, "$argon2id$") {
				t.Errorf("ann's hash after login = %.20q (%v), want argon2id", hash, err)
			}
			// Django's refresh token is taken once into our rotation.
			c.call("POST", "/api/auth/refresh/", "", map[string]any{"refresh": ann.refresh}, 200)
			c.call("POST", "/api/auth/refresh/", "", map[string]any{"refresh": ann.refresh}, 401)
			// New records take ids past Django's.
			np := c.call("POST", "/api/patients/", ann.access, map[string]any{"first_name": "New", "last_name": "Here",
				"email": "new.imp@example.com", "dob": "2000-01-01", "notes": ""}, 201)
			if np["id"].(float64) <= p3["id"].(float64) {
				t.Errorf("new patient id %v, not past Django's %v", np["id"], p3["id"])
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			out = mustRunCommand(t, env, "import", "django", source)
			if !strings.Contains(out, "nothing new: nothing written") {
				t.Errorf("second import output:\n%s", out)
			}
			for _, table := range []string{"users:", "patients:", "doctors:", "assignments:"} {
				if !strings.Contains(out, table) || !strings.Contains(out, "3 in the source: 0 new, 3 here already, 0 changed") {
					t.Errorf("second import output:\n%s", out)
					break
				}
			}
		})
	}

	// Rows that break our rules, as Django's own database can hold them.
	djdb := sqlstoretest.Raw(t, source)
	ctx := context.Background()
	conn, err := djdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	user := func(username, email string) string {
		return fmt.Sprintf(`INSERT INTO auth_user (password, is_superuser, username, last_name, email, is_staff, is_active,
date_joined, first_name) VALUES ('!', false, '%s', '', '%s', false, true, now(), '')`, username, email)
	}
	for _, stmt := range []string{
		user("imp_dup", "ANN.IMP@example.com"),  // ann's email, in another case
		user("bob.imp@example.com", "b2@x.com"), // bob's email as a username
		user("IMP_CYD", "c2@x.com"),             // cyd's username, in another case
		// A hash whose cost would make every login take minutes.
		`INSERT INTO auth_user (password, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name)
VALUES ('argon2$argon2id$v=19$m=102400,t=200,p=8$UlNiM2hySW80dkFpT3o0b2NNeTJqZA$nCcbGdZSAFWRxuhxf9lZvQ', false, 'imp_slow', '', 'slow.imp@example.com', false, true, now(), '')`,
		fmt.Sprintf(`INSERT INTO core_patient (first_name, last_name, email, dob, notes, created_at, updated_at, created_by_id)
VALUES ('Jon', 'Doe', 'JON.IMP@example.com', '1990-01-01', '', now(), now(), %d)`, int64(ann.id)), // ann holds jon.imp@ already
		fmt.Sprintf(`INSERT INTO core_patient (first_name, last_name, email, dob, notes, created_at, updated_at, created_by_id)
VALUES ('', 'Blank', 'blank.imp@example.com', '1990-01-01', '', now(), now(), %d)`, int64(ann.id)),
		// Django enforces its foreign keys; the replica role lets a row
		// through that a broken restore could have left.
		`SET session_replication_role = replica`,
		fmt.Sprintf(`INSERT INTO core_patientdoctormapping (created_at, patient_id, doctor_id) VALUES (now(), %v, 999999)`, p1["id"]),
		`SET session_replication_role = DEFAULT`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "SECRET_KEY": djangoKey}
	mustRunCommand(t, env, "migrate")
	for _, args := range [][]string{{"import", "django", source, "--dry-run"}, {"import", "django", source}} {
		out, err := runCommand(t, env, args...)
		if err == nil || !strings.Contains(err.Error(), "7 conflict(s) remain; nothing was written") {
			t.Errorf("healthcare %s = %v, want 7 conflicts", strings.Join(args, " "), err)
		}
		for _, want := range []string{
			"emails equal once case is folded",
			"the username of one is the email of the other, once case is folded",
			"usernames equal once case is folded",
			fmt.Sprintf("one owner (user %d) holds both, with emails equal once case is folded", int64(ann.id)),
			"first_name: This field may not be blank.",
			"doctor: no such doctor (--skip-invalid-assignments leaves them out)",
			"password: stored with a hasher, or a cost, this server does not verify",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("healthcare %s output lacks %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
	}
}

// On a terminal, each table's progress rewrites one line, ended when the
// table is done.
func TestImportProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := progressLine(&b)
	p("patients", 1000, 3000)
	p("patients", 2000, 3000) // within 100 ms of the last: not drawn
	p("patients", 3000, 3000)
	p("assignments", 5, 5)
	if want := "\rpatients: 1000/3000\rpatients: 3000/3000\n\rassignments: 5/5\n"; b.String() != want {
		t.Errorf("progress = %q, want %q", b.String(), want)
	}
}

// The command's flags reach the import: a table named, invalid assignments
// left out; and a sqlite:/// source, as Django's default engine keeps it.
func TestImportCommandFlags(t *testing.T) {
	path := t.TempDir() + "/django.sqlite3"
	src := sqlstoretest.Raw(t, "sqlite://"+path)
	if _, err := src.Exec(`
CREATE TABLE auth_user (id integer PRIMARY KEY, password text NOT NULL, username text NOT NULL, email text NOT NULL,
  is_active bool NOT NULL, is_staff bool NOT NULL, is_superuser bool NOT NULL, first_name text NOT NULL,
  last_name text NOT NULL, date_joined datetime NOT NULL);
CREATE TABLE core_patient (id integer PRIMARY KEY, created_by_id integer NOT NULL REFERENCES auth_user (id),
  first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL, dob date NOT NULL, notes text NOT NULL);
CREATE TABLE core_doctor (id integer PRIMARY KEY, first_name text, last_name text, email text, specialization text);
CREATE TABLE legacy_doctor (id integer PRIMARY KEY, first_name text, last_name text, email text, specialization text);
CREATE TABLE core_patientdoctormapping (id integer PRIMARY KEY, patient_id integer NOT NULL, doctor_id integer NOT NULL);
INSERT INTO auth_user VALUES (1, '!', 'ann', 'ann@example.com', 1, 0, 0, '', '', '2026-01-01 00:00:00');
INSERT INTO core_patient VALUES (2, 1, 'Jon', 'Doe', 'jon@example.com', '1990-01-01', '');
INSERT INTO core_doctor VALUES (3, 'Al', 'Smith', 'al@clinic.com', 'Cardiology');
INSERT INTO core_patientdoctormapping VALUES (4, 2, 3), (5, 2, 99);`); err != nil {
		t.Fatal(err)
	}
	source := "sqlite://" + path
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "SECRET_KEY": djangoKey}
	mustRunCommand(t, env, "migrate")
	if out, err := runCommand(t, env, "import", "django", source); err == nil || !strings.Contains(err.Error(), "--doctors-table") {
		t.Errorf("two doctor tables: %v\n%s", err, out)
	}
	out, err := runCommand(t, env, "import", "django", "--doctors-table", "core_doctor", source)
	if err == nil || !strings.Contains(out, "conflict: assignments 5: doctor: no such doctor (--skip-invalid-assignments leaves them out)") {
		t.Errorf("an assignment to no doctor: %v\n%s", err, out)
	}
	out = mustRunCommand(t, env, "import", "django", source, "--skip-invalid-assignments", "--doctors-table=core_doctor")
	for _, want := range []string{"skipped: assignments 5: doctor: no such doctor", "assignments: 2 in the source: 1 new, 0 here already, 0 changed, 1 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A table named with escape sequences is printed quoted, never acted on.
func TestPrintableNames(t *testing.T) {
	for in, want := range map[string]string{
		"core_patient":          "core_patient",
		"doc\x1b]0;pwned\a":     `"doc\x1b]0;pwned\a"`,
		"pat\u202eient":         `"pat\u202eient"`,
		"sqlite:///tmp/dj ango": "sqlite:///tmp/dj ango",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %s, want %s", in, got, want)
		}
	}
}
