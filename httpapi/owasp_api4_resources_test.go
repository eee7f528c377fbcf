package httpapi_test

// OWASP API4:2023, unrestricted resource consumption. Login bursts and the
// concurrent throttle race are in throttle_test.go; header and connection
// limits, which need a real listener, in cmd/healthcare.

import (
	"strings"
	"testing"
)

func TestResourceLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		// 2 MiB body.
		big := `{"notes": "` + strings.Repeat("x", 2<<20) + `"}`
		res := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: big})
		res.expect(t, 413)
		// 1 MB password, at registration and at login: refused before hashing.
		huge := strings.Repeat("p", 1_000_000) // 1 MB, inside the 1 MiB body limit
		e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{"username": "big", "email": "big@example.com", "password": huge}}).
			expectBody(t, 400, `{"password": ["Ensure this field has no more than 1024 characters."]}`)
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": huge}}).
			expectBody(t, 401, noActiveAccountBd)
		// A page can never be larger than 100, whatever is asked.
		for range 105 {
			e.newPatient(u, nil)
		}
		for _, size := range []string{"101", "1000000", "99999999999999999999"} {
			body := e.do(req{method: "GET", path: "/api/patients/?page_size=" + size, token: u.Access}).expect(t, 200).Obj(t)
			if n := len(body["results"].([]any)); n != 100 {
				t.Errorf("page_size=%s gave %d results, want 100", size, n)
			}
		}
		// A search is bounded in length and in terms.
		e.do(req{method: "GET", path: "/api/patients/?search=" + strings.Repeat("a", 201), token: u.Access}).expect(t, 400)
		e.do(req{method: "GET", path: "/api/patients/?search=" + strings.Repeat("a+", 99), token: u.Access}).expect(t, 200)
	})
}
