package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPatientLifecycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		res := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
			"first_name": " Jon ", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01", "notes": "N/A",
			"id": 777, "owner": 999, "OWNER": 999, "Owner": 999, "created_at": "2000-01-01T00:00:00Z", "version": 50,
		}}).expect(t, 201)
		created := res.Obj(t)
		id := int64(created["id"].(float64))
		if id == 777 || !strings.HasPrefix(created["created_at"].(string), time.Now().UTC().Format("2006")) {
			t.Errorf("read-only fields applied: %s", res.Body)
		}
		if _, ok := created["owner"]; ok {
			t.Errorf("owner exposed: %s", res.Body)
		}
		if created["created_at"] != created["updated_at"] {
			t.Errorf("created_at %v != updated_at %v", created["created_at"], created["updated_at"])
		}
		if _, err := time.Parse(time.RFC3339Nano, created["created_at"].(string)); err != nil || !strings.HasSuffix(created["created_at"].(string), "Z") {
			t.Errorf("created_at %v is not RFC 3339 UTC", created["created_at"])
		}
		want := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01", "notes": "N/A"}
		for k, v := range want {
			if created[k] != v {
				t.Errorf("%s = %v, want %v", k, created[k], v)
			}
		}
		path := "/api/patients/" + itoa(id) + "/"
		got := e.do(req{method: "GET", path: path, token: u.Access}).expect(t, 200).Obj(t)
		if string(mustJSON(got)) != string(mustJSON(created)) {
			t.Errorf("GET = %v, want what POST returned %v", got, created)
		}

		// PUT needs every writable field; notes may be left out.
		e.do(req{method: "PUT", path: path, token: u.Access, body: map[string]any{"first_name": "Jo"}}).
			expectBody(t, 400, `{"last_name": ["This field is required."], "email": ["This field is required."], "dob": ["This field is required."]}`)
		put := e.do(req{method: "PUT", path: path, token: u.Access, body: map[string]any{
			"first_name": "Jonathan", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-02", "owner": 999}}).expect(t, 200).Obj(t)
		if put["first_name"] != "Jonathan" || put["dob"] != "1990-01-02" || put["notes"] != "N/A" {
			t.Errorf("PUT result = %v", put)
		}
		if put["updated_at"].(string) <= created["updated_at"].(string) || put["created_at"] != created["created_at"] {
			t.Errorf("timestamps after PUT: %v", put)
		}
		patch := e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"notes": ""}}).expect(t, 200).Obj(t)
		if patch["notes"] != "" || patch["first_name"] != "Jonathan" {
			t.Errorf("PATCH result = %v", patch)
		}
		e.do(req{method: "DELETE", path: path, token: u.Access}).expect(t, 204)
		e.do(req{method: "GET", path: path, token: u.Access}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "DELETE", path: path, token: u.Access}).expectBody(t, 404, notFoundBody)
	})
}

func TestPatientValidation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
		tests := []struct {
			name string
			body map[string]any
			want string
		}{
			{"future dob", map[string]any{"dob": tomorrow}, `{"dob": ["Date of birth cannot be in the future."]}`},
			{"dob wrong format", map[string]any{"dob": "01/02/1990"}, `{"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`},
			{"dob impossible date", map[string]any{"dob": "1990-02-30"}, `{"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`},
			{"dob with spaces", map[string]any{"dob": " 1990-01-01"}, `{"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`},
			{"dob with a time", map[string]any{"dob": "1990-01-01T00:00:00"}, `{"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`},
			{"dob three-digit day", map[string]any{"dob": "1990-01-001"}, `{"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`},
			{"names too long", map[string]any{"first_name": strings.Repeat("a", 101), "last_name": strings.Repeat("é", 101)},
				`{"first_name": ["Ensure this field has no more than 100 characters."], "last_name": ["Ensure this field has no more than 100 characters."]}`},
			{"blank names", map[string]any{"first_name": "  ", "last_name": ""},
				`{"first_name": ["This field may not be blank."], "last_name": ["This field may not be blank."]}`},
			{"bad email", map[string]any{"email": "jon@"}, `{"email": ["Enter a valid email address."]}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": "v@example.com", "dob": "1990-01-01"}
				for k, v := range tt.body {
					body[k] = v
				}
				e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: body}).expectBody(t, 400, tt.want)
			})
		}
		// Exactly 100 characters, and a multi-byte name of 100 runes, are fine.
		e.newPatient(u, map[string]any{"first_name": strings.Repeat("a", 100), "last_name": strings.Repeat("é", 100)})
		// Today is not in the future.
		e.newPatient(u, map[string]any{"dob": time.Now().UTC().Format(time.DateOnly)})
		// Django's parse_date takes one-digit months and days, and a final
		// newline, as DRF's DateField does.
		for in, want := range map[string]string{"1990-1-5": "1990-01-05", "1990-12-1": "1990-12-01", "1990-01-02\n": "1990-01-02"} {
			body := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": fmt.Sprintf("dob%d@example.com", len(in)), "dob": in}
			got := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: body}).expect(t, 201).Obj(t)
			if got["dob"] != want {
				t.Errorf("dob %q stored as %v, want %s", in, got["dob"], want)
			}
		}
	})
}

func TestPatientEmailUniquePerOwner(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		alice, bob := e.newUser(), e.newUser()
		first := e.newPatient(alice, map[string]any{"email": "same@example.com"})
		e.do(req{method: "POST", path: "/api/patients/", token: alice.Access, body: map[string]any{
			"first_name": "A", "last_name": "B", "email": "SAME@example.com", "dob": "1990-01-01"}}).
			expectBody(t, 400, `{"email": ["patient with this email already exists."]}`)
		// Another owner may keep a record of the same person.
		e.newPatient(bob, map[string]any{"email": "same@example.com"})
		// Changing another record to the taken address is refused too.
		second := e.newPatient(alice, nil)
		e.do(req{method: "PATCH", path: "/api/patients/" + itoa(second), token: alice.Access, body: map[string]any{"email": "Same@Example.com"}}).
			expectBody(t, 400, `{"email": ["patient with this email already exists."]}`)
		// Its own address, in another case, is no conflict.
		e.do(req{method: "PATCH", path: "/api/patients/" + itoa(first), token: alice.Access, body: map[string]any{"email": "SAME@example.com"}}).expect(t, 200)
	})
}

func TestPatientEmailRaceOneWins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		const n = 6
		statuses := concurrently(n, func(i int) int {
			return e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
				"first_name": "A", "last_name": "B", "email": "race@example.com", "dob": "1990-01-01"}}).Status
		})
		if count(statuses, 201) != 1 || count(statuses, 400) != n-1 {
			t.Errorf("statuses = %v, want one 201 and %d 400s", statuses, n-1)
		}
	})
}

func TestPatientETagAndIfMatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u, other := e.newUser(), e.newUser()
		id := e.newPatient(u, nil)
		path := "/api/patients/" + itoa(id) + "/"
		res := e.do(req{method: "GET", path: path, token: u.Access}).expect(t, 200)
		tag := res.Header.Get("ETag")
		if tag == "" {
			t.Fatal("GET of one patient has no ETag")
		}
		// Editor A saves with the tag it read; editor B, still holding it, is refused.
		res = e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"notes": "A"}, header: map[string]string{"If-Match": tag}}).expect(t, 200)
		newTag := res.Header.Get("ETag")
		if newTag == "" || newTag == tag {
			t.Fatalf("ETag after update = %q, want a new one (was %q)", newTag, tag)
		}
		precondition := `{"detail": "The resource has changed since it was read (If-Match does not match).", "code": "precondition_failed"}`
		e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"notes": "B"}, header: map[string]string{"If-Match": tag}}).expectBody(t, 412, precondition)
		e.do(req{method: "PUT", path: path, token: u.Access, body: map[string]any{
			"first_name": "B", "last_name": "B", "email": "b@example.com", "dob": "1990-01-01"}, header: map[string]string{"If-Match": tag}}).expectBody(t, 412, precondition)
		e.do(req{method: "DELETE", path: path, token: u.Access, header: map[string]string{"If-Match": tag}}).expectBody(t, 412, precondition)
		e.do(req{method: "DELETE", path: path, token: u.Access, header: map[string]string{"If-Match": `W/` + newTag}}).expect(t, 412)
		got := e.do(req{method: "GET", path: path, token: u.Access}).expect(t, 200)
		if got.Obj(t)["notes"] != "A" || got.Header.Get("ETag") != newTag {
			t.Errorf("after refused writes: %s, ETag %s", got.Body, got.Header.Get("ETag"))
		}
		// A write that changes nothing keeps the ETag and updated_at.
		same := e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{}, header: map[string]string{"If-Match": newTag}}).expect(t, 200)
		again := e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"notes": "A"}}).expect(t, 200)
		if same.Header.Get("ETag") != newTag || again.Header.Get("ETag") != newTag || same.Obj(t)["updated_at"] != again.Obj(t)["updated_at"] {
			t.Errorf("no-op writes changed the ETag: %s, %s (was %s)", same.Header.Get("ETag"), again.Header.Get("ETag"), newTag)
		}
		// Another owner learns nothing from If-Match.
		e.do(req{method: "DELETE", path: path, token: other.Access, header: map[string]string{"If-Match": tag}}).expectBody(t, 404, notFoundBody)
		// A list of tags or * matches.
		e.do(req{method: "PATCH", path: path, token: u.Access, body: map[string]any{"notes": "C"}, header: map[string]string{"If-Match": `"x", ` + newTag}}).expect(t, 200)
		e.do(req{method: "DELETE", path: path, token: u.Access, header: map[string]string{"If-Match": "*"}}).expect(t, 204)
	})
}

func TestPatientDeleteRemovesAssignments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p, d := e.newPatient(u, nil), e.newDoctor(u, nil)
		e.assign(u, p, d)
		e.do(req{method: "DELETE", path: "/api/patients/" + itoa(p), token: u.Access}).expect(t, 204)
		list := e.do(req{method: "GET", path: "/api/mappings/", token: u.Access}).expect(t, 200).Obj(t)
		if list["count"].(float64) != 0 {
			t.Errorf("assignments left after the patient's deletion: %v", list)
		}
		// And the doctor may now go.
		e.do(req{method: "DELETE", path: "/api/doctors/" + itoa(d), token: u.Access}).expect(t, 204)
	})
}
