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
		// The format is refused before the Accept header is read, as DRF's
		// negotiation filters renderers by format first.
		res := e.do(req{method: "GET", path: "/api/doctors/1.xml", header: map[string]string{"Accept": "text/html"}})
		res.expectBody(t, 404, notFoundBody)
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p) + "/", token: u.Access}).expect(t, 200)
	})
}

// A path with an encoded slash anywhere names nothing, before
// authentication, methods or negotiation: the server does not read it as a
// separator (a WSGI server would) nor as part of an id, so a proxy's rule
// on the raw path sees what the server serves.
func TestEncodedSlashNamesNoRoute(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := itoa(e.newPatient(u, nil))
		for _, path := range []string{"/api%2Fpatients/", "/api%2Fpatients", "/api%2fpatients/", "/api/patients%2F",
			"/api/patients%2F" + p + "/", "/api/patients%2F" + p, "/api%2Faudit/", "/api/patients/" + p + "%2F",
			"/api/patients/" + p + "%2Fdoctors/", "/api/doctors/1%2fx", "/healthz%2F"} {
			e.do(req{method: "GET", path: path, token: u.Access}).expectBody(t, 404, notFoundBody)
			// before anything else about the request: no token, another
			// method, an Accept it cannot satisfy
			res := e.do(req{method: "POST", path: path, header: map[string]string{"Accept": "text/html"}})
			res.expectBody(t, 404, notFoundBody)
			if a := res.Header.Get("Allow"); a != "" {
				t.Errorf("POST %s: Allow %q on a path of no route", path, a)
			}
		}
		e.do(req{method: "GET", path: "/api/patients/%3" + p + "/", token: u.Access}).expect(t, 200)
	})
}

// A method a path outside the API has no route for is 405 with Allow too,
// and "OPTIONS *" is a path of no route, in the contract's shape.
func TestProbeMethodsAndAsterisk(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/healthz", "/readyz/"} {
			res := e.do(req{method: "POST", path: path, body: map[string]any{}})
			res.expectBody(t, 405, `{"detail": "Method \"POST\" not allowed.", "code": "method_not_allowed"}`)
			if got := res.Header.Get("Allow"); got != "GET, HEAD, OPTIONS" {
				t.Errorf("POST %s: Allow = %q, want GET, HEAD, OPTIONS", path, got)
			}
		}
		if e.balancer == "" { // a proxy answers "*" itself
			e.do(req{method: "OPTIONS", path: "*"}).expectBody(t, 404, notFoundBody)
		}
	})
}

// Content negotiation as DRF's with JSON its only renderer: an Accept
// that admits no JSON is 406, before authentication; the docs page and
// the schema are not negotiated.
func TestAcceptNegotiatedAsDRF(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		notAcceptable := `{"detail": "Could not satisfy the request Accept header.", "code": "not_acceptable"}`
		for _, accept := range []string{"text/html", "text/plain", "application/xml", "text/html,application/xhtml+xml;q=0.9"} {
			e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"Accept": accept}}).expectBody(t, 406, notAcceptable)
			e.do(req{method: "GET", path: "/api/patients/", header: map[string]string{"Accept": accept}}).expectBody(t, 406, notAcceptable)
			e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{}, header: map[string]string{"Accept": accept}}).
				expectBody(t, 406, notAcceptable)
		}
		for _, accept := range []string{"application/json", "*/*", "application/*", "application/json; indent=4", "text/html, */*;q=0.1", "application/json;q=0"} {
			e.do(req{method: "GET", path: "/api/patients/", token: u.Access, header: map[string]string{"Accept": accept}}).expect(t, 200)
		}
		e.do(req{method: "GET", path: "/api/patients/", token: u.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/docs/", header: map[string]string{"Accept": "text/html"}}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/schema/", header: map[string]string{"Accept": "text/html"}}).expect(t, 200)
		e.do(req{method: "GET", path: "/healthz", header: map[string]string{"Accept": "text/plain"}}).expect(t, 200)
	})
}
