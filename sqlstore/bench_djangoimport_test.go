package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// djangoPostgresDDL is what Django 3.2's migrations make on PostgreSQL for
// the design's models (sqlmigrate auth and core).
const djangoPostgresDDL = `
CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz NULL,
  is_superuser boolean NOT NULL, username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL,
  last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff boolean NOT NULL, is_active boolean NOT NULL,
  date_joined timestamptz NOT NULL);
CREATE TABLE core_doctor (id bigserial PRIMARY KEY, first_name varchar(100) NOT NULL, last_name varchar(100) NOT NULL,
  email varchar(254) NOT NULL UNIQUE, specialization varchar(100) NOT NULL, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL);
CREATE TABLE core_patient (id bigserial PRIMARY KEY, first_name varchar(100) NOT NULL, last_name varchar(100) NOT NULL,
  email varchar(254) NOT NULL UNIQUE, dob date NOT NULL, notes text NOT NULL, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  created_by_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX core_patient_created_by_id ON core_patient (created_by_id);
CREATE TABLE core_patientdoctormapping (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL,
  doctor_id bigint NOT NULL REFERENCES core_doctor (id) DEFERRABLE INITIALLY DEFERRED,
  patient_id bigint NOT NULL REFERENCES core_patient (id) DEFERRABLE INITIALLY DEFERRED,
  UNIQUE (patient_id, doctor_id));
`

// djangoPostgresData fills it: 1,000 users and doctors, $1 patients
// spread over the users, and an assignment for every tenth patient.
const djangoPostgresData = `
INSERT INTO auth_user SELECT g, 'pbkdf2_sha256$260000$salt$hash', NULL, false, 'user' || g, 'First', 'Last',
  'user' || g || '@example.com', false, true, now() FROM generate_series(1, 1000) g;
INSERT INTO core_doctor SELECT g, 'Doc', 'Tor' || g, 'doc' || g || '@clinic.com',
  (ARRAY['Cardiology', 'Neurology', 'Oncology', 'Pediatrics'])[1 + g % 4], now(), now() FROM generate_series(1, 1000) g;
INSERT INTO core_patient SELECT g, 'First' || g, 'Last' || g, 'p' || g || '@example.com', DATE '1950-01-01' + g % 20000,
  'notes of patient ' || g, now(), now(), 1 + g % 1000 FROM generate_series(1, $1) g;
INSERT INTO core_patientdoctormapping SELECT g, now(), 1 + g % 1000, g * 10 FROM generate_series(1, $1 / 10) g;
`

// BenchmarkImportDjango imports a Django-shaped PostgreSQL database of
// IMPORT_BENCH_PATIENTS patients (default 1,000,000) into a fresh database
// of each engine: run with -bench ImportDjango -benchtime 1x.
func BenchmarkImportDjango(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("IMPORT_BENCH_PATIENTS")); err == nil && v > 0 {
		n = v
	}
	source := djangoPostgresSource(b, n)
	for _, engine := range sqlstoretest.Engines {
		b.Run(engine, func(b *testing.B) {
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				db := sqlstoretest.Open(b, sqlstoretest.URL(b, engine))
				b.StartTimer()
				start := time.Now()
				last := ""
				r, err := db.ImportDjango(context.Background(), source, sqlstore.DjangoImportOptions{
					Progress: func(table string, done, total int64) {
						if table != last {
							b.Logf("%s: %s starts", time.Since(start), table)
							last = table
						}
					}})
				b.Logf("%s: done", time.Since(start))
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if c := counts(r)["patients"]; c.New != int64(n) {
					b.Fatalf("imported %d patients, want %d", c.New, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "patients/s")
		})
	}
}

// djangoPostgresSource makes the source database, dropped when b ends.
func djangoPostgresSource(b *testing.B, patients int) string {
	b.Helper()
	admin := sqlstoretest.PostgresURL(b) // skips without PostgreSQL
	u, err := url.Parse(admin)
	if err != nil {
		b.Fatal(err)
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := "importer_bench_" + hex.EncodeToString(r[:])
	adm := sqlstoretest.Raw(b, admin)
	if _, err := adm.Exec("CREATE DATABASE " + name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = adm.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u.Path = "/" + name
	src := sqlstoretest.Raw(b, u.String())
	if _, err := src.Exec(djangoPostgresDDL); err != nil {
		b.Fatal(err)
	}
	for _, stmt := range strings.Split(strings.TrimSpace(djangoPostgresData), ";\n") {
		if _, err := execMaybeArg(src, stmt, patients); err != nil {
			b.Fatalf("%s: %v", stmt, err)
		}
	}
	return u.String()
}

func execMaybeArg(db *sql.DB, stmt string, n int) (sql.Result, error) {
	if strings.Contains(stmt, "$1") {
		return db.Exec(stmt, n)
	}
	return db.Exec(stmt)
}
