package httpapi_test

import (
	"fmt"
	"net/url"
	"testing"
)

func TestAssignmentCreate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u, other := e.newUser(), e.newUser()
		p := e.newPatient(u, nil)
		d := e.newDoctor(u, map[string]any{"first_name": "Alice", "last_name": "Smith", "specialization": "Cardiology"})
		res := e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": p, "doctor": d}}).expect(t, 201)
		got := res.Obj(t)
		if _, ok := got["created_at"].(string); !ok {
			t.Errorf("no created_at: %s", res.Body)
		}
		delete(got, "created_at")
		id := got["id"]
		delete(got, "id")
		if id == nil {
			t.Errorf("no id: %s", res.Body)
		}
		res.Body = mustJSON(got)
		res.expectBody(t, 201, `{"patient": `+itoa(p)+`, "doctor": `+itoa(d)+`,
			"doctor_detail": {"id": `+itoa(d)+`, "first_name": "Alice", "last_name": "Smith", "specialization": "Cardiology"}}`)

		theirs := e.newPatient(other, nil)
		tests := []struct {
			name string
			body map[string]any
			want string
		}{
			{"same pair twice", map[string]any{"patient": p, "doctor": d}, `{"non_field_errors": ["The fields patient, doctor must make a unique set."]}`},
			{"another owner's patient", map[string]any{"patient": theirs, "doctor": d}, `{"patient": ["Invalid pk \"` + itoa(theirs) + `\" - object does not exist."]}`},
			{"no such patient", map[string]any{"patient": 987654, "doctor": d}, `{"patient": ["Invalid pk \"987654\" - object does not exist."]}`},
			{"no such doctor", map[string]any{"patient": p, "doctor": 987654}, `{"doctor": ["Invalid pk \"987654\" - object does not exist."]}`},
			{"neither", map[string]any{"patient": theirs, "doctor": 987654},
				`{"patient": ["Invalid pk \"` + itoa(theirs) + `\" - object does not exist."], "doctor": ["Invalid pk \"987654\" - object does not exist."]}`},
			{"missing", map[string]any{}, `{"patient": ["This field is required."], "doctor": ["This field is required."]}`},
			{"wrong types", map[string]any{"patient": true, "doctor": []any{1}},
				`{"patient": ["Incorrect type. Expected pk value, received bool."], "doctor": ["Incorrect type. Expected pk value, received list."]}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: tt.body}).expectBody(t, 400, tt.want)
			})
		}
		// A pk given as a string, as DRF accepts, works.
		d2 := e.newDoctor(u, nil)
		e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": itoa(p), "doctor": itoa(d2)}}).expect(t, 201)
		e.do(req{method: "POST", path: "/api/mappings/", body: map[string]any{"patient": p, "doctor": d2}}).expectBody(t, 401, notAuthBody)
	})
}

func TestAssignmentRaceOneWins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p, d := e.newPatient(u, nil), e.newDoctor(u, nil)
		const n = 6
		statuses := concurrently(n, func(i int) int {
			return e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": p, "doctor": d}}).Status
		})
		if count(statuses, 201) != 1 || count(statuses, 400) != n-1 {
			t.Errorf("statuses = %v, want one 201 and %d 400s; log:\n%s", statuses, n-1, e.logs.String())
		}
	})
}

func TestAssignmentListsAndDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u, other := e.newUser(), e.newUser()
		p1, p2 := e.newPatient(u, nil), e.newPatient(u, nil)
		d1 := e.newDoctor(u, map[string]any{"first_name": "Ann", "specialization": "Cardiology"})
		d2 := e.newDoctor(u, map[string]any{"first_name": "Ben", "specialization": "Oncology"})
		a1 := e.assign(u, p1, d1)
		e.assign(u, p1, d2)
		e.assign(u, p2, d2)
		op := e.newPatient(other, nil)
		oa := e.assign(other, op, d1)

		list := e.do(req{method: "GET", path: "/api/mappings/", token: u.Access}).expect(t, 200).Obj(t)
		if list["count"].(float64) != 3 {
			t.Errorf("count = %v, want 3 (own patients only): %v", list["count"], list)
		}
		first := list["results"].([]any)[0].(map[string]any)
		if first["id"].(float64) != float64(a1) || first["doctor_detail"].(map[string]any)["first_name"] != "Ann" {
			t.Errorf("first assignment = %v", first)
		}
		for _, path := range []string{"/api/mappings/" + itoa(p1) + "/", "/api/patients/" + itoa(p1) + "/doctors/"} {
			docs := e.do(req{method: "GET", path: path, token: u.Access}).expect(t, 200).Obj(t)
			res := docs["results"].([]any)
			if docs["count"].(float64) != 2 || len(res) != 2 || res[0].(map[string]any)["first_name"] != "Ann" ||
				res[1].(map[string]any)["specialization"] != "Oncology" {
				t.Errorf("%s = %v", path, docs)
			}
		}
		empty := e.newPatient(u, nil)
		docs := e.do(req{method: "GET", path: "/api/mappings/" + itoa(empty), token: u.Access}).expect(t, 200).Obj(t)
		if docs["count"].(float64) != 0 || len(docs["results"].([]any)) != 0 {
			t.Errorf("doctors of a patient with none = %v", docs)
		}
		e.do(req{method: "GET", path: "/api/mappings/" + itoa(op), token: u.Access}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "GET", path: "/api/mappings/", token: ""}).expectBody(t, 401, notAuthBody)

		e.do(req{method: "DELETE", path: "/api/mappings/" + itoa(oa), token: u.Access}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "DELETE", path: "/api/mappings/" + itoa(a1)}).expectBody(t, 401, notAuthBody)
		e.do(req{method: "DELETE", path: "/api/mappings/" + itoa(a1), token: u.Access}).expect(t, 204)
		e.do(req{method: "DELETE", path: "/api/mappings/" + itoa(a1), token: u.Access}).expectBody(t, 404, notFoundBody)
		// The other user's assignment survived.
		theirs := e.do(req{method: "GET", path: "/api/mappings/", token: other.Access}).expect(t, 200).Obj(t)
		if theirs["count"].(float64) != 1 {
			t.Errorf("other's assignments = %v", theirs)
		}
	})
}

// Assignments are searched as the Django design's view searches them: in
// the patient's and the doctor's first and last names only, every term.
func TestAssignmentSearch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p1 := e.newPatient(u, map[string]any{"first_name": "Zoë", "last_name": "Adams", "email": "zoe@mail.org"})
		p2 := e.newPatient(u, map[string]any{"first_name": "Mark", "last_name": "Brown"})
		d1 := e.newDoctor(u, map[string]any{"first_name": "Ann", "last_name": "Cole", "specialization": "Cardiology"})
		d2 := e.newDoctor(u, map[string]any{"first_name": "Ben", "last_name": "Dahl", "specialization": "Oncology"})
		// Information separators in a doctor's fields do not move where
		// the names end: the email stays unsearched.
		d3 := e.newDoctor(u, map[string]any{"first_name": "Eve", "last_name": "Fo\x1fx", "email": "eve@hospital.net",
			"specialization": "Neuro\x1fsurgery\x1f"})
		a1, a2, a3 := e.assign(u, p1, d1), e.assign(u, p2, d2), e.assign(u, p1, d2)
		a4 := e.assign(u, p2, d3)
		for _, tt := range []struct {
			search string
			want   []int64
		}{
			{"zoë", []int64{a1, a3}},
			{"BROWN", []int64{a2, a4}},
			{"cole", []int64{a1}},
			{"dahl zoe", nil}, // Zoë is not Zoe
			{"dahl adams", []int64{a3}},
			{"dahl,adams", []int64{a3}},
			{"cardio", nil},   // specialization is not searched
			{"mail.org", nil}, // nor emails
			{"clinic", nil},
			{"hospital", nil},
			{"neuro", nil},
			{"fo", []int64{a4}},
			{"x", []int64{a4}},
		} {
			body := e.do(req{method: "GET", path: "/api/mappings/?search=" + url.QueryEscape(tt.search), token: u.Access}).expect(t, 200).Obj(t)
			var got []int64
			for _, r := range body["results"].([]any) {
				got = append(got, int64(r.(map[string]any)["id"].(float64)))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("search %q = %v, want %v", tt.search, got, tt.want)
			}
		}
	})
}

// The doctors of a patient: the patient is looked up before the page is
// read, as in the Django design, so another owner's patient is "Not
// found." whatever the page asked for.
func TestAssignedDoctorsPatientBeforePage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u, other := e.newUser(), e.newUser()
		mine, theirs := e.newPatient(u, nil), e.newPatient(other, nil)
		e.assign(u, mine, e.newDoctor(u, nil))
		for _, page := range []string{"abc", "0", "-1", "2"} {
			e.do(req{method: "GET", path: "/api/mappings/" + itoa(theirs) + "/?page=" + page, token: u.Access}).expectBody(t, 404, notFoundBody)
			e.do(req{method: "GET", path: "/api/mappings/" + itoa(mine) + "/?page=" + page, token: u.Access}).
				expectBody(t, 404, `{"detail": "Invalid page.", "code": "not_found"}`)
		}
		e.do(req{method: "GET", path: "/api/mappings/" + itoa(mine) + "/?page=1", token: u.Access}).expect(t, 200)
	})
}
