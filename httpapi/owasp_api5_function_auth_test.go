package httpapi_test

// OWASP API5:2023, broken function-level authorization: no write without a
// token, whatever the spelling of the path or the method.

import (
	"testing"
)

func TestAnonymousWritesRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p, d := e.newPatient(u, nil), e.newDoctor(u, nil)
		a := e.assign(u, p, d)
		body := map[string]any{"first_name": "A"}
		for _, r := range []req{
			{method: "POST", path: "/api/patients/", body: body},
			{method: "PUT", path: "/api/patients/" + itoa(p) + "/", body: body},
			{method: "PATCH", path: "/api/patients/" + itoa(p), body: body},
			{method: "DELETE", path: "/api/patients/" + itoa(p) + "/"},
			{method: "POST", path: "/api/doctors/", body: body},
			{method: "PUT", path: "/api/doctors/" + itoa(d) + "/", body: body},
			{method: "PATCH", path: "/api/doctors/" + itoa(d), body: body},
			{method: "DELETE", path: "/api/doctors/" + itoa(d) + "/"},
			{method: "POST", path: "/api/mappings/", body: map[string]any{"patient": p, "doctor": d}},
			{method: "DELETE", path: "/api/mappings/" + itoa(a) + "/"},
			{method: "POST", path: "/api/auth/password/", body: map[string]any{"old_password": "x", "new_password": "y"}},
			{method: "GET", path: "/api/audit/"},
			// A method override header changes nothing.
			{method: "GET", path: "/api/patients/" + itoa(p), header: map[string]string{"X-HTTP-Method-Override": "DELETE"}},
		} {
			e.do(r).expectBody(t, 401, notAuthBody)
		}
		// Path variants reach no route rather than a different one.
		for _, path := range []string{"/API/patients/", "/api/Patients/", "/api/patients/" + itoa(p) + "/../", "/api/patients//" + itoa(p),
			"/api/patients/" + itoa(p) + "%2F", "/api/patients/" + itoa(p) + ";x", "/api/patients/" + itoa(p) + ".json"} {
			res := e.do(req{method: "DELETE", path: path})
			if res.Status != 404 && res.Status != 401 && res.Status != 405 {
				t.Errorf("DELETE %s = %d: %s", path, res.Status, res.Body)
			}
		}
		// Every record is still there.
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p), token: u.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/doctors/" + itoa(d)}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/mappings/" + itoa(p), token: u.Access}).expect(t, 200)
	})
}
