package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// hotPath is one request shape to drive, and the SQL the server runs for
// it, for pgbench. The SQL is the store's (sqlstore), spelled out here with
// pgbench variables; keep them in step. Reads are measured against their
// SELECTs, writes against their whole transaction, audit insert included.
type hotPath struct {
	name  string
	write bool
	// anonymous paths are driven without a token.
	anonymous bool
	build     func(c *client, pr profile) (method, path string, body any)
	script    func(pr profile) string
}

const authSQL = `SELECT id, username, email, first_name, last_name, is_active, is_staff, date_joined, password_hash,
password_changed_at FROM users WHERE id = :uid;
`

const patientCols = `id, owner_id, first_name, last_name, email, dob, notes, created_at, updated_at, version`

const auditInsertSQL = `INSERT INTO audit_events (at, actor_id, action, object_type, object_id, patient_id,
patient_ids, owner_id, outcome, client_addr, request_id, subject_hash) VALUES
(now(), :uid, 'patient.x', 'patient', :pid, :pid, '', :uid, 'ok', '127.0.0.1', 'bench', '');
`

func vars(pr profile) string {
	return fmt.Sprintf("\\set uid random(1, %d)\n\\set pid (:uid - 1) * %d + random(1, %d)\n",
		pr.users, pr.patientsPerUser, pr.patientsPerUser)
}

var searchTerms = []string{"neuro", "cardio", "onco", "tor1", "doc2", "pediat"}

var hotPaths = []hotPath{
	{
		name: "patients_list",
		build: func(c *client, pr profile) (string, string, any) {
			return "GET", "/api/patients/", nil
		},
		script: func(pr profile) string {
			return vars(pr) + authSQL + `SELECT ` + patientCols + `, count(*) OVER () FROM patients WHERE owner_id = :uid ORDER BY id LIMIT 20 OFFSET 0;
`
		},
	},
	{
		name: "patient_read",
		build: func(c *client, pr profile) (string, string, any) {
			return "GET", fmt.Sprintf("/api/patients/%d/", c.patient(pr)), nil
		},
		script: func(pr profile) string {
			return vars(pr) + authSQL + `SELECT ` + patientCols + ` FROM patients WHERE id = :pid AND owner_id = :uid;
`
		},
	},
	{
		name:  "patient_create",
		write: true,
		build: func(c *client, pr profile) (string, string, any) {
			c.seq++
			return "POST", "/api/patients/", map[string]any{"first_name": "Load", "last_name": "Test",
				"email": fmt.Sprintf("new-%d-%d-%d@example.com", c.userID, c.seq, rand.IntN(1e9)), "dob": "1990-01-01", "notes": "created under load"}
		},
		script: func(pr profile) string {
			return vars(pr) + "\\set r random(1, 2000000000)\n" + authSQL + `BEGIN;
INSERT INTO patients (owner_id, first_name, last_name, email, email_key, dob, notes, search_key, version, created_at, updated_at)
VALUES (:uid, 'Load', 'Test', 'pgb-' || :client_id || '-' || :r || '@example.com', 'pgb-' || :client_id || '-' || :r || '@example.com', '1990-01-01', 'created under load', 'load', 1, now(), now()) RETURNING id;
` + auditInsertSQL + `COMMIT;
`
		},
	},
	{
		name:  "patient_update",
		write: true,
		build: func(c *client, pr profile) (string, string, any) {
			id := c.patient(pr)
			return "PUT", fmt.Sprintf("/api/patients/%d/", id), map[string]any{"first_name": "First" + fmt.Sprint(id), "last_name": "Updated",
				"email": fmt.Sprintf("p%d@example.com", id), "dob": "1980-02-03", "notes": "updated under load"}
		},
		script: func(pr profile) string {
			return vars(pr) + authSQL + `BEGIN;
SELECT ` + patientCols + ` FROM patients WHERE id = :pid AND owner_id = :uid FOR UPDATE;
UPDATE patients SET first_name = 'F', last_name = 'Updated', email = 'p' || :pid || '@example.com', email_key = 'p' || :pid || '@example.com',
dob = '1980-02-03', notes = 'updated under load', search_key = 'k', updated_at = now(), version = version + 1
WHERE id = :pid AND owner_id = :uid AND version = version;
` + auditInsertSQL + `COMMIT;
`
		},
	},
	{
		name: "mappings_list",
		build: func(c *client, pr profile) (string, string, any) {
			return "GET", "/api/mappings/", nil
		},
		script: func(pr profile) string {
			return vars(pr) + authSQL + `SELECT a.id, a.patient_id, a.doctor_id, a.created_at, d.first_name, d.last_name, d.specialization, count(*) OVER ()
FROM assignments a JOIN doctors d ON d.id = a.doctor_id
WHERE a.owner_id = :uid ORDER BY a.id LIMIT 20 OFFSET 0;
`
		},
	},
	{
		name: "doctors_search",
		build: func(c *client, pr profile) (string, string, any) {
			return "GET", "/api/doctors/?search=" + searchTerms[rand.IntN(len(searchTerms))], nil
		},
		script: func(pr profile) string {
			var b strings.Builder
			b.WriteString("\\set t random(0, 5)\n")
			// pgbench has no arrays: one of the terms, picked by a CASE.
			b.WriteString(`SELECT id, first_name, last_name, email, specialization, created_at, updated_at, count(*) OVER () FROM doctors
WHERE 1 = 1 AND search_key LIKE '%' || (CASE (:t)::int `)
			for i, t := range searchTerms {
				fmt.Fprintf(&b, "WHEN %d THEN '%s' ", i, t)
			}
			b.WriteString("END) || '%' ESCAPE '\\' ORDER BY id LIMIT 20 OFFSET 0;\n")
			return b.String()
		},
	},
	{
		name:  "auth_refresh",
		write: true,
		build: func(c *client, pr profile) (string, string, any) {
			return "POST", "/api/auth/refresh/", map[string]any{"refresh": c.refresh}
		},
		script: func(pr profile) string {
			// A hash computed from a pgbench variable, not from random(),
			// so that the lookup can use the unique index as the server's does.
			return vars(pr) + "\\set h random(1, 2000000000)\n" + `BEGIN;
UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = md5((:h)::text) AND revoked_at IS NULL RETURNING family;
` + authSQL + `INSERT INTO refresh_tokens (token_hash, family, user_id, created_at, expires_at)
VALUES (md5((:h)::text) || md5((:client_id)::text) || md5(clock_timestamp()::text), 'fam', :uid, now(), now() + interval '1 day');
INSERT INTO audit_events (at, actor_id, action, object_type, object_id, patient_id, patient_ids, owner_id, outcome, client_addr, request_id, subject_hash)
VALUES (now(), :uid, 'auth.refresh', 'user', :uid, NULL, '', NULL, 'ok', '127.0.0.1', 'bench', '');
COMMIT;
`
		},
	},
}
