package httpapi_test

// OWASP API3:2023, broken object property-level authorization: fields a
// client must not set are ignored in every spelling, and responses carry
// no property a client should not see.

import (
	"strings"
	"testing"
)

func TestMassAssignmentIgnored(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		// Registration cannot make a staff account.
		reg := e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
			"username": "mallory", "email": "m@example.com", "password": strongPassword,
			"is_staff": true, "IS_STAFF": true, "is_superuser": true, "is_active": false, "id": 1, "password_hash": "x",
		}}).expect(t, 201).Obj(t)
		for _, k := range []string{"is_staff", "is_superuser", "password", "password_hash"} {
			if _, ok := reg[k]; ok {
				t.Errorf("registration response exposes %s", k)
			}
		}
		var staff, active bool
		if err := e.raw().QueryRow("SELECT is_staff, is_active FROM users WHERE username = 'mallory'").Scan(&staff, &active); err != nil || staff || !active {
			t.Fatalf("mallory: is_staff=%v is_active=%v (%v)", staff, active, err)
		}

		victim, attacker := e.newUser(), e.newUser()
		// Owner keys in any case: the record is the requester's, never the victim's.
		p := e.newPatient(attacker, map[string]any{"owner": victim.ID, "OWNER": victim.ID, "Owner": victim.ID,
			"owner_id": victim.ID, "ownerId": victim.ID, "version": 99})
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p), token: attacker.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p), token: victim.Access}).expectBody(t, 404, notFoundBody)
		// Moving a record to another owner through an update is impossible too.
		for _, m := range []string{"PUT", "PATCH"} {
			e.do(req{method: m, path: "/api/patients/" + itoa(p), token: attacker.Access, body: map[string]any{
				"first_name": "A", "last_name": "B", "email": "ab@example.com", "dob": "1990-01-01",
				"owner": victim.ID, "Owner": victim.ID, "id": 1}}).expect(t, 200)
		}
		victims := e.do(req{method: "GET", path: "/api/patients/", token: victim.Access}).expect(t, 200).Obj(t)
		if victims["count"].(float64) != 0 {
			t.Errorf("victim now holds %v patients", victims["count"])
		}
		got := e.do(req{method: "GET", path: "/api/patients/" + itoa(p), token: attacker.Access}).expect(t, 200)
		if strings.Contains(string(got.Body), "owner") || strings.Contains(string(got.Body), "version") {
			t.Errorf("patient exposes internal fields: %s", got.Body)
		}
		// Timestamps and ids of doctors are the server's.
		d := e.do(req{method: "POST", path: "/api/doctors/", token: attacker.Access, body: map[string]any{
			"first_name": "A", "last_name": "B", "email": "doc@example.com", "specialization": "GP",
			"id": 424242, "created_at": "2000-01-01T00:00:00Z"}}).expect(t, 201).Obj(t)
		if d["id"].(float64) == 424242 || strings.HasPrefix(d["created_at"].(string), "2000") {
			t.Errorf("doctor took client-set fields: %v", d)
		}
	})
}
