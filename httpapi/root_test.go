package httpapi_test

import "testing"

// /api/ is the Django design's router root: links to the lists, for an
// authenticated caller (the design's default permission), with or
// without the trailing slash.
func TestAPIRoot(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		for _, path := range []string{"/api/", "/api"} {
			e.do(req{method: "GET", path: path, token: u.Access}).expectBody(t, 200,
				`{"patients": "http://localhost/api/patients/", "doctors": "http://localhost/api/doctors/", "mappings": "http://localhost/api/mappings/"}`)
		}
		res := e.do(req{method: "GET", path: "/api/"})
		res.expectBody(t, 401, notAuthBody)
		if got := res.Header.Get("Allow"); got != "GET, HEAD, OPTIONS" {
			t.Errorf("Allow = %q", got)
		}
		e.do(req{method: "PATCH", path: "/api/", body: map[string]any{}}).expectBody(t, 401, notAuthBody)
		e.do(req{method: "DELETE", path: "/api/", token: u.Access}).
			expectBody(t, 405, `{"detail": "Method \"DELETE\" not allowed.", "code": "method_not_allowed"}`)
		e.do(req{method: "GET", path: "/", token: u.Access}).expectBody(t, 404, notFoundBody)
	})
}

// A record path with a format suffix ("5.xml", DRF's router's format for
// record 5) is 404 whatever the method, as DRF answers a format it cannot
// render, before it looks at the method.
func TestFormatSuffixNotFound(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := e.newPatient(u, nil)
		for _, m := range []string{"GET", "PATCH", "PUT", "POST", "DELETE"} {
			for _, path := range []string{"/api/mappings/" + itoa(p) + ".5/", "/api/patients/" + itoa(p) + ".xml", "/api/doctors/1.json/"} {
				res := e.do(req{method: m, path: path, token: u.Access})
				res.expectBody(t, 404, notFoundBody)
				if res.Header.Get("Allow") == "" {
					t.Errorf("%s %s: no Allow", m, path)
				}
			}
		}
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p) + "/", token: u.Access}).expect(t, 200)
	})
}
