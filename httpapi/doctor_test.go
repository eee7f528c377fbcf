package httpapi_test

import (
	"strings"
	"testing"
)

func TestDoctorsReadOpenWriteAuthenticated(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		id := e.newDoctor(u, map[string]any{"first_name": "Alice", "email": "alice@clinic.com", "specialization": "Cardiology"})
		path := "/api/doctors/" + itoa(id) + "/"
		full := map[string]any{"first_name": "A", "last_name": "B", "email": "ab@clinic.com", "specialization": "Oncology"}

		got := e.do(req{method: "GET", path: path}).expect(t, 200).Obj(t)
		for k, v := range map[string]any{"id": float64(id), "first_name": "Alice", "last_name": "Smith", "email": "alice@clinic.com", "specialization": "Cardiology"} {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		for _, k := range []string{"created_at", "updated_at"} {
			if _, ok := got[k].(string); !ok {
				t.Errorf("%s missing: %v", k, got)
			}
		}
		e.do(req{method: "GET", path: "/api/doctors/"}).expect(t, 200)

		for _, w := range []struct {
			method, path string
			body         any
		}{{"POST", "/api/doctors/", full}, {"PUT", path, full}, {"PATCH", path, map[string]any{"specialization": "X"}}, {"DELETE", path, nil}} {
			e.do(req{method: w.method, path: w.path, body: w.body}).expectBody(t, 401, notAuthBody)
		}
		put := e.do(req{method: "PUT", path: path, token: u.Access, body: full}).expect(t, 200).Obj(t)
		if put["specialization"] != "Oncology" || put["email"] != "ab@clinic.com" {
			t.Errorf("PUT = %v", put)
		}
		e.do(req{method: "PUT", path: path, token: u.Access, body: map[string]any{"first_name": "A"}}).
			expectBody(t, 400, `{"last_name": ["This field is required."], "email": ["This field is required."], "specialization": ["This field is required."]}`)
		patch := e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"specialization": "Neurology", "id": 5}}).expect(t, 200).Obj(t)
		if patch["specialization"] != "Neurology" || patch["first_name"] != "A" || patch["id"].(float64) != float64(id) {
			t.Errorf("PATCH = %v", patch)
		}
		// Any authenticated user may write the shared directory.
		other := e.newUser()
		e.do(req{method: "DELETE", path: path, token: other.Access}).expect(t, 204)
		e.do(req{method: "GET", path: path}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"first_name": "Z"}}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "PUT", path: path, token: u.Access, body: map[string]any{}}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "DELETE", path: path, token: u.Access}).expectBody(t, 404, notFoundBody)
	})
}

func TestDoctorValidation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		e.newDoctor(u, map[string]any{"email": "taken@clinic.com"})
		tests := []struct {
			name string
			body map[string]any
			want string
		}{
			{"email taken, other case", map[string]any{"email": "TAKEN@clinic.com"}, `{"email": ["doctor with this email already exists."]}`},
			{"specialization too long", map[string]any{"specialization": strings.Repeat("s", 101)}, `{"specialization": ["Ensure this field has no more than 100 characters."]}`},
			{"specialization blank", map[string]any{"specialization": ""}, `{"specialization": ["This field may not be blank."]}`},
			{"bad email", map[string]any{"email": "a b@clinic.com"}, `{"email": ["Enter a valid email address."]}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := map[string]any{"first_name": "A", "last_name": "B", "email": "new@clinic.com", "specialization": "GP"}
				for k, v := range tt.body {
					body[k] = v
				}
				e.do(req{method: "POST", path: "/api/doctors/", token: u.Access, body: body}).expectBody(t, 400, tt.want)
			})
		}
	})
}

func TestDoctorDeleteWhileAssigned(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		owner, stranger := e.newUser(), e.newUser()
		p, d := e.newPatient(owner, nil), e.newDoctor(owner, nil)
		a := e.assign(owner, p, d)
		res := e.do(req{method: "DELETE", path: "/api/doctors/" + itoa(d), token: stranger.Access}).expect(t, 409)
		if body := res.Obj(t); body["code"] != "doctor_assigned" || body["detail"] == "" {
			t.Errorf("body = %s, want code doctor_assigned", res.Body)
		}
		// Nobody's data disappeared.
		e.do(req{method: "GET", path: "/api/doctors/" + itoa(d)}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/mappings/" + itoa(p), token: owner.Access}).expect(t, 200)
		e.do(req{method: "DELETE", path: "/api/mappings/" + itoa(a), token: owner.Access}).expect(t, 204)
		e.do(req{method: "DELETE", path: "/api/doctors/" + itoa(d), token: stranger.Access}).expect(t, 204)
	})
}

// Search and the specialization filter fold as Unicode recommends, for
// patients and doctors alike.
func TestSearchFoldsUnicode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		d := e.newDoctor(u, map[string]any{"last_name": "Straße", "specialization": "Ψυχιατρική"})
		p := e.newPatient(u, map[string]any{"first_name": "Σίσυφος"})
		for _, q := range []string{"search=STRASSE", "search=strasse", "specialization=ΨΥΧΙΑΤΡΙΚΉ", "search=ψυχιατρικη%CC%81"} {
			body := e.do(req{method: "GET", path: "/api/doctors/?" + q}).expect(t, 200).Obj(t)
			if body["count"] != float64(1) || body["results"].([]any)[0].(map[string]any)["id"] != float64(d) {
				t.Errorf("GET /api/doctors/?%s = %s, want doctor %d", q, mustJSON(body), d)
			}
		}
		body := e.do(req{method: "GET", path: "/api/patients/?search=ΣΊΣΥΦΟΣ", token: u.Access}).expect(t, 200).Obj(t)
		if body["count"] != float64(1) || body["results"].([]any)[0].(map[string]any)["id"] != float64(p) {
			t.Errorf("patient search = %s, want patient %d", mustJSON(body), p)
		}
	})
}
