package httpapi_test

// OWASP API1:2023, broken object-level authorization: every patient and
// assignment route, as the owner, as another user and anonymously.

import (
	"strings"
	"testing"
)

// TestPatientOwnerMatrix runs every patient route as the owner, as another
// user and anonymously.
func TestPatientOwnerMatrix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		owner, other := e.newUser(), e.newUser()
		full := map[string]any{"first_name": "X", "last_name": "Y", "email": "xy@example.com", "dob": "1980-05-05"}
		routes := []struct {
			method, path string
			body         any
			ownerStatus  int
		}{
			{"GET", "/api/patients/%d/", nil, 200},
			{"PUT", "/api/patients/%d/", full, 200},
			{"PATCH", "/api/patients/%d/", map[string]any{"notes": "n"}, 200},
			{"GET", "/api/patients/%d/doctors/", nil, 200},
			{"GET", "/api/mappings/%d/", nil, 200},
			{"DELETE", "/api/patients/%d/", nil, 204},
		}
		for _, rt := range routes {
			t.Run(rt.method+" "+rt.path, func(t *testing.T) {
				id := e.newPatient(owner, nil)
				path := strings.Replace(rt.path, "%d", itoa(id), 1)
				e.do(req{method: rt.method, path: path, body: rt.body}).expectBody(t, 401, notAuthBody)
				e.do(req{method: rt.method, path: path, body: rt.body, token: other.Access}).expectBody(t, 404, notFoundBody)
				if rt.body != nil {
					// A body that would not validate changes nothing: still 404, as DRF looks the object up first.
					bad := map[string]any{"dob": "not-a-date", "first_name": ""}
					e.do(req{method: rt.method, path: path, body: bad, token: other.Access}).expectBody(t, 404, notFoundBody)
				}
				// Not found and not yours read the same.
				missing := strings.Replace(rt.path, "%d", "987654", 1)
				e.do(req{method: rt.method, path: missing, body: rt.body, token: other.Access}).expectBody(t, 404, notFoundBody)
				e.do(req{method: rt.method, path: path, body: rt.body, token: owner.Access}).expect(t, rt.ownerStatus)
			})
		}
		// Lists show only the requester's own.
		e.newPatient(owner, nil)
		e.do(req{method: "GET", path: "/api/patients/"}).expectBody(t, 401, notAuthBody)
		e.do(req{method: "POST", path: "/api/patients/", body: full}).expectBody(t, 401, notAuthBody)
		list := e.do(req{method: "GET", path: "/api/patients/", token: other.Access}).expect(t, 200).Obj(t)
		if list["count"].(float64) != 0 {
			t.Errorf("other user sees %v patients", list["count"])
		}
		// The owner's record is untouched by the other user's attempts.
		mine := e.do(req{method: "GET", path: "/api/patients/", token: owner.Access}).expect(t, 200).Obj(t)
		for _, p := range mine["results"].([]any) {
			if p.(map[string]any)["first_name"] == "X" && p.(map[string]any)["email"] == "xy@example.com" {
				continue
			}
			if p.(map[string]any)["first_name"] != "Jon" {
				t.Errorf("owner's patient changed: %v", p)
			}
		}
	})
}

// TestAssignmentOwnerMatrix: another user can neither see, create on, nor
// delete the assignments of a patient that is not theirs.
func TestAssignmentOwnerMatrix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		owner, other := e.newUser(), e.newUser()
		p, d := e.newPatient(owner, nil), e.newDoctor(owner, nil)
		a := e.assign(owner, p, d)
		d2 := e.newDoctor(other, nil)
		for _, tt := range []struct {
			name string
			r    req
			want int
		}{
			{"create on another's patient", req{method: "POST", path: "/api/mappings/", body: map[string]any{"patient": p, "doctor": d2}}, 400},
			{"delete another's assignment", req{method: "DELETE", path: "/api/mappings/" + itoa(a) + "/"}, 404},
			{"doctors of another's patient", req{method: "GET", path: "/api/mappings/" + itoa(p) + "/"}, 404},
			{"doctors of another's patient, second route", req{method: "GET", path: "/api/patients/" + itoa(p) + "/doctors/"}, 404},
		} {
			t.Run(tt.name, func(t *testing.T) {
				anon := tt.r
				e.do(anon).expectBody(t, 401, notAuthBody)
				as := tt.r
				as.token = other.Access
				e.do(as).expect(t, tt.want)
			})
		}
		list := e.do(req{method: "GET", path: "/api/mappings/", token: other.Access}).expect(t, 200).Obj(t)
		if list["count"].(float64) != 0 {
			t.Errorf("other user lists %v assignments", list["count"])
		}
		// Nothing changed for the owner.
		mine := e.do(req{method: "GET", path: "/api/mappings/" + itoa(p) + "/", token: owner.Access}).expect(t, 200).Obj(t)
		if mine["count"].(float64) != 1 {
			t.Errorf("owner's assignments after the attempts: %v", mine)
		}
	})
}
