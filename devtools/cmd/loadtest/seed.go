package main

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/password"
)

// profile is a data set to measure against.
type profile struct {
	name                  string
	users                 int
	patientsPerUser       int
	doctors               int
	assignmentsPerPatient int
}

var profiles = map[string]profile{
	"small": {name: "small", users: 1000, patientsPerUser: 20, doctors: 200, assignmentsPerPatient: 2},
	"large": {name: "large", users: 10000, patientsPerUser: 100, doctors: 5000, assignmentsPerPatient: 2},
}

// loadPassword is every seeded account's password.
const loadPassword = "l0ad-test-passw0rd"

// pgconn names the database the run creates.
type pgconn struct{ host, port, db string }

func (p pgconn) url() string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", p.host+":"+p.port, url.PathEscape(p.db))
}

// seed fills the migrated database with SQL: far faster than the API, and
// one argon2id hash serves every account.
func seed(p pgconn, pr profile) error {
	h, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return err
	}
	hash, err := h.Hash(loadPassword)
	if err != nil {
		return err
	}
	n, k, d := strconv.Itoa(pr.users), strconv.Itoa(pr.patientsPerUser), strconv.Itoa(pr.doctors)
	statements := []string{
		`INSERT INTO users (username, username_key, email, email_key, first_name, last_name, password_hash, is_active, is_staff, date_joined)
		 SELECT 'load'||g, 'load'||g, 'load'||g||'@example.com', 'load'||g||'@example.com', '', '', '` + hash + `', true, false, now()
		 FROM generate_series(1, ` + n + `) g ORDER BY g`,
		// Login looks a name up here; the keys above are ASCII, which
		// healthcare.Fold leaves as they are.
		`INSERT INTO login_names (name_key, user_id)
		 SELECT username_key, id FROM users UNION ALL SELECT email_key, id FROM users`,
		// Patient p belongs to user (p-1)/K+1: ids are contiguous per owner.
		`INSERT INTO patients (owner_id, first_name, last_name, email, email_key, dob, notes, search_key, version, created_at, updated_at)
		 SELECT (p-1)/` + k + `+1, 'First'||p, 'Last'||p, 'p'||p||'@example.com', 'p'||p||'@example.com',
		        date '1950-01-01' + (p % 20000), 'Seeded patient '||p||'. No known allergies.', 'first'||p||chr(31)||'last'||p||chr(31)||'p'||p||'@example.com', 1, now(), now()
		 FROM generate_series(1, ` + n + `*` + k + `) p ORDER BY p`,
		`INSERT INTO doctors (first_name, last_name, email, email_key, specialization, specialization_key, search_key, created_at, updated_at)
		 SELECT 'Doc'||g, 'Tor'||g, 'd'||g||'@clinic.example', 'd'||g||'@clinic.example', s, lower(s),
		        'doc'||g||chr(31)||'tor'||g||chr(31)||'d'||g||'@clinic.example'||chr(31)||lower(s), now(), now()
		 FROM generate_series(1, ` + d + `) g,
		      LATERAL (SELECT (ARRAY['Cardiology','Neurology','Oncology','Pediatrics','Dermatology','Radiology','Surgery','Psychiatry'])[1 + g % 8] AS s) x
		 ORDER BY g`,
		`INSERT INTO assignments (patient_id, doctor_id, owner_id, created_at)
		 SELECT p, 1 + ((p*7 + j*97) % ` + d + `), (p-1)/` + k + `+1, now()
		 FROM generate_series(1, ` + n + `*` + k + `) p, generate_series(0, ` + strconv.Itoa(pr.assignmentsPerPatient-1) + `) j
		 ON CONFLICT DO NOTHING`,
		`ANALYZE`,
	}
	for _, s := range statements {
		if _, err := psql.Run(p.host, p.port, p.db, s); err != nil {
			return err
		}
	}
	return nil
}
