package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestPagination(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		var ids []int64
		for i := range 25 {
			ids = append(ids, e.newPatient(u, map[string]any{"last_name": fmt.Sprintf("L%02d", i)}))
		}
		page1 := e.do(req{method: "GET", path: "/api/patients/", token: u.Access}).expect(t, 200).Obj(t)
		if page1["count"].(float64) != 25 || len(page1["results"].([]any)) != 20 || page1["previous"] != nil {
			t.Fatalf("page 1 = count %v, %d results, previous %v", page1["count"], len(page1["results"].([]any)), page1["previous"])
		}
		if page1["next"] != "http://localhost/api/patients/?page=2" {
			t.Errorf("next = %v", page1["next"])
		}
		if first := page1["results"].([]any)[0].(map[string]any)["id"].(float64); first != float64(ids[0]) {
			t.Errorf("default order: first id %v, want %d", first, ids[0])
		}
		page2 := e.do(req{method: "GET", path: "/api/patients/?page=2", token: u.Access}).expect(t, 200).Obj(t)
		if len(page2["results"].([]any)) != 5 || page2["next"] != nil || page2["previous"] != "http://localhost/api/patients/" {
			t.Errorf("page 2 = %d results, next %v, previous %v", len(page2["results"].([]any)), page2["next"], page2["previous"])
		}
		small := e.do(req{method: "GET", path: "/api/patients/?page_size=10&page=2&ordering=-id", token: u.Access}).expect(t, 200).Obj(t)
		if small["next"] != "http://localhost/api/patients/?ordering=-id&page=3&page_size=10" ||
			small["previous"] != "http://localhost/api/patients/?ordering=-id&page_size=10" {
			t.Errorf("links = %v / %v", small["next"], small["previous"])
		}
		if got := small["results"].([]any)[0].(map[string]any)["id"].(float64); got != float64(ids[14]) {
			t.Errorf("page 2 of 10 by -id starts at %v, want %d", got, ids[14])
		}
		big := e.do(req{method: "GET", path: "/api/patients/?page_size=100000", token: u.Access}).expect(t, 200).Obj(t)
		if len(big["results"].([]any)) != 25 {
			t.Errorf("page_size clamp: %d results", len(big["results"].([]any)))
		}
		e.do(req{method: "GET", path: "/api/patients/?page=3", token: u.Access}).
			expectBody(t, 404, `{"detail": "Invalid page.", "code": "not_found"}`)
		// As DRF: a page that is no positive integer names no page; a bad
		// page_size is ignored.
		for _, page := range []string{"abc", "0", "-1", "", "1.0", "1e3", "1__0"} {
			e.do(req{method: "GET", path: "/api/patients/?page=" + page, token: u.Access}).
				expectBody(t, 404, `{"detail": "Invalid page.", "code": "not_found"}`)
		}
		for _, page := range []string{"+2", "02", "%202%20", "2"} {
			e.do(req{method: "GET", path: "/api/patients/?page=" + page, token: u.Access}).expect(t, 200)
		}
		for _, size := range []string{"x", "0", "-5", "", "2.5"} {
			got := e.do(req{method: "GET", path: "/api/patients/?page_size=" + size, token: u.Access}).expect(t, 200).Obj(t)
			if n := len(got["results"].([]any)); n != 20 {
				t.Errorf("page_size=%s: %d results, want the default 20", size, n)
			}
		}
		lastPage := e.do(req{method: "GET", path: "/api/patients/?page=last&page_size=10", token: u.Access}).expect(t, 200).Obj(t)
		if n := len(lastPage["results"].([]any)); n != 5 || lastPage["next"] != nil {
			t.Errorf("page=last: %d results, next %v; want the 5 of page 3 and no next", n, lastPage["next"])
		}
		// Numbers past int64 are still numbers: a page past the end, a size to clamp.
		e.do(req{method: "GET", path: "/api/patients/?page=99999999999999999999999", token: u.Access}).expect(t, 404)
		huge := e.do(req{method: "GET", path: "/api/patients/?page_size=99999999999999999999999", token: u.Access}).expect(t, 200).Obj(t)
		if len(huge["results"].([]any)) != 25 {
			t.Errorf("huge page_size: %d results", len(huge["results"].([]any)))
		}
		// Django's reading of a query: ";" is a plain character, the last value wins.
		e.do(req{method: "GET", path: "/api/patients/?ordering=id;drop", token: u.Access}).expect(t, 200)
		last := e.do(req{method: "GET", path: "/api/patients/?page=1&page=2", token: u.Access}).expect(t, 200).Obj(t)
		if len(last["results"].([]any)) != 5 {
			t.Errorf("?page=1&page=2 gave %d results, want page 2's 5", len(last["results"].([]any)))
		}
		for _, q := range []string{"search=%00", "search=a%00b", "search=%ff%fe", "search=%zz"} {
			res := e.do(req{method: "GET", path: "/api/patients/?" + q, token: u.Access})
			if res.Status != 200 && res.Status != 400 {
				t.Errorf("?%s: status %d: %s", q, res.Status, res.Body)
			}
		}
		e.do(req{method: "GET", path: "/api/patients/?search=%00", token: u.Access}).
			expectBody(t, 400, `{"search": ["Null characters are not allowed."]}`)
		e.do(req{method: "GET", path: "/api/doctors/?specialization=a%00"}).
			expectBody(t, 400, `{"specialization": ["Null characters are not allowed."]}`)

		// An empty first page is a page, not a 404.
		empty := e.newUser()
		e.do(req{method: "GET", path: "/api/patients/", token: empty.Access}).
			expectBody(t, 200, `{"count": 0, "next": null, "previous": null, "results": []}`)
	})
}

func TestSearchAndOrdering(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		e.newPatient(u, map[string]any{"first_name": "Zoë", "last_name": "Adams", "email": "zoe@example.com", "dob": "1970-01-01"})
		e.newPatient(u, map[string]any{"first_name": "Mark", "last_name": "Brown", "email": "mark@mail.org", "dob": "1990-01-01"})
		e.newPatient(u, map[string]any{"first_name": "Anna", "last_name": "Zöller", "email": "anna_z@example.com", "dob": "1980-01-01"})
		names := func(path string) []string {
			t.Helper()
			body := e.do(req{method: "GET", path: path, token: u.Access}).expect(t, 200).Obj(t)
			var out []string
			for _, r := range body["results"].([]any) {
				out = append(out, r.(map[string]any)["first_name"].(string))
			}
			return out
		}
		tests := []struct{ path, want string }{
			{"/api/patients/?search=BROWN", "Mark"},
			{"/api/patients/?search=example.com", "Zoë Anna"},
			{"/api/patients/?search=ZÖLLER", "Anna"},
			{"/api/patients/?search=zoë%20adams", "Zoë"},
			{"/api/patients/?search=anna%20brown", ""},
			{"/api/patients/?search=_", "Anna"},
			{"/api/patients/?search=%25", ""},
			{"/api/patients/?ordering=dob", "Zoë Anna Mark"},
			{"/api/patients/?ordering=-dob", "Mark Anna Zoë"},
			{"/api/patients/?ordering=last_name", "Zoë Mark Anna"},
			{"/api/patients/?ordering=-email,id", "Zoë Mark Anna"},
		}
		for _, tt := range tests {
			if got := strings.Join(names(tt.path), " "); got != tt.want {
				t.Errorf("GET %s = %q, want %q", tt.path, got, tt.want)
			}
		}
		// Unknown ordering fields are dropped, as DRF's OrderingFilter does.
		for _, q := range []string{"ordering=password", "ordering=id%3Bdrop%20table%20patients", "ordering=--dob", "ordering=owner,-dob"} {
			want := strings.Join(names("/api/patients/"), " ")
			if q == "ordering=owner,-dob" {
				want = "Mark Anna Zoë"
			}
			if got := strings.Join(names("/api/patients/?"+q), " "); got != want {
				t.Errorf("GET /api/patients/?%s = %q, want %q", q, got, want)
			}
		}
		e.do(req{method: "GET", path: "/api/doctors/?ordering=owner"}).expect(t, 200)
		// A field repeated is one term, the first mention's direction: two
		// thousand of them are no SQL error on SQLite.
		many := strings.Repeat("-dob,", 2000) + "dob"
		if got := strings.Join(names("/api/patients/?ordering="+many), " "); got != "Mark Anna Zoë" {
			t.Errorf("ordering by -dob 2,001 times = %q", got)
		}
		e.do(req{method: "GET", path: "/api/doctors/?ordering=" + strings.Repeat("id,", 2000)}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/mappings/?ordering=-doctor", token: u.Access}).expect(t, 200)
	})
}

func TestDoctorFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		e.newDoctor(u, map[string]any{"first_name": "Ann", "last_name": "Heart", "specialization": "Cardiology"})
		e.newDoctor(u, map[string]any{"first_name": "Ben", "last_name": "Brain", "specialization": "Neurology"})
		e.newDoctor(u, map[string]any{"first_name": "Cat", "last_name": "Pulse", "specialization": "cardiology"})
		names := func(path string) string {
			t.Helper()
			body := e.do(req{method: "GET", path: path}).expect(t, 200).Obj(t)
			var out []string
			for _, r := range body["results"].([]any) {
				out = append(out, r.(map[string]any)["first_name"].(string))
			}
			return strings.Join(out, " ")
		}
		for _, tt := range []struct{ path, want string }{
			{"/api/doctors/?specialization=Cardiology", "Ann Cat"},
			{"/api/doctors/?specialization=neuro", ""},
			{"/api/doctors/?search=neuro", "Ben"},
			{"/api/doctors/?search=cardio&ordering=-first_name", "Cat Ann"},
			{"/api/doctors/?specialization=Cardiology&search=pulse", "Cat"},
			{"/api/doctors/?ordering=specialization,first_name", "Ann Ben Cat"},
		} {
			if got := names(tt.path); got != tt.want {
				t.Errorf("GET %s = %q, want %q", tt.path, got, tt.want)
			}
		}
	})
}
