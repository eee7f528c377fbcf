package httpapi_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestTrailingSlashOptional(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := e.newPatient(u, nil)
		for _, path := range []string{"/api/doctors", "/api/doctors/", "/api/patients", "/api/patients/",
			"/api/auth/me", "/api/auth/me/", "/api/mappings", "/api/mappings/"} {
			e.do(req{method: "GET", path: path, token: u.Access}).expect(t, http.StatusOK)
		}
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p), token: u.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p) + "/", token: u.Access}).expect(t, 200)
	})
}

func TestBodyErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		tests := []struct {
			name        string
			body        any
			contentType string
			status      int
			code        string
		}{
			{"malformed JSON", `{"first_name": `, "application/json", 400, "parse_error"},
			{"JSON array", `[1, 2]`, "application/json", 400, "parse_error"},
			{"JSON string", `"hello"`, "application/json", 400, "parse_error"},
			{"trailing data", `{} {}`, "application/json", 400, "parse_error"},
			// RFC 8259: JSON is UTF-8; invalid bytes are refused, never replaced.
			{"invalid UTF-8 in a field", "{\"first_name\": \"\xff\xfe\", \"last_name\": \"Doe\", \"email\": \"u@example.com\", \"dob\": \"1990-01-01\"}", "application/json", 400, "parse_error"},
			{"invalid UTF-8 elsewhere", "{\"first_name\": \"Jon\", \"last_name\": \"Doe\", \"email\": \"u@example.com\", \"dob\": \"1990-01-01\", \"x\": \"\xc3\"}", "application/json", 400, "parse_error"},
			{"nested too deeply", `{"first_name": "Jon", "x": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "application/json", 400, "parse_error"},
			{"text body", `first_name=Jon`, "text/plain", 415, "unsupported_media_type"},
			{"JSON under another name", `{"first_name": "Jon"}`, "application/merge-patch+json", 415, "unsupported_media_type"},
			// A media type longer than any client's is not parsed (parsing copies it).
			{"media type of 300 bytes", `{"first_name": "Jon"}`, "application/json; x=" + strings.Repeat("y", 280), 415, "unsupported_media_type"},
			{"over 1 MiB", `{"notes": "` + strings.Repeat("a", 1<<20) + `"}`, "application/json", 413, "request_too_large"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: tt.body,
					header: map[string]string{"Content-Type": tt.contentType}}).expect(t, tt.status)
				body := res.Obj(t)
				if body["code"] != tt.code {
					t.Errorf("code = %v, want %s", body["code"], tt.code)
				}
				if detail, _ := body["detail"].(string); tt.code == "parse_error" && !strings.HasPrefix(detail, "JSON parse error - ") {
					t.Errorf("detail = %q, want the JSON parse error prefix", body["detail"])
				}
			})
		}
		// Nothing was written by any of them.
		list := e.do(req{method: "GET", path: "/api/patients/", token: u.Access}).expect(t, 200).Obj(t)
		if list["count"].(float64) != 0 {
			t.Errorf("count = %v after rejected requests, want 0", list["count"])
		}
	})
}

func TestWrongFieldTypes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		res := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
			"first_name": []any{"x"}, "last_name": nil, "email": true, "dob": 19900101,
		}})
		res.expectBody(t, 400, `{
			"first_name": ["Not a valid string."],
			"last_name": ["This field may not be null."],
			"email": ["Not a valid string."],
			"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
		}`)
		res = e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{}})
		res.expectBody(t, 400, `{
			"first_name": ["This field is required."],
			"last_name": ["This field is required."],
			"email": ["This field is required."],
			"dob": ["This field is required."]
		}`)
	})
}

func TestPathIDMustBePositiveInteger(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999", "1e3", "%20"} {
			for _, path := range []string{"/api/patients/", "/api/doctors/", "/api/mappings/"} {
				e.do(req{method: "GET", path: path + id + "/", token: u.Access}).expectBody(t, 404, notFoundBody)
			}
			e.do(req{method: "DELETE", path: "/api/patients/" + id, token: u.Access}).expectBody(t, 404, notFoundBody)
		}
	})
}

// Only the canonical decimal form names a resource that exists: one record,
// one URL.
func TestPathIDMustBeCanonical(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p, d := e.newPatient(u, nil), e.newDoctor(u, nil)
		for _, path := range []string{"/api/patients/%s/", "/api/doctors/%s/", "/api/mappings/%s/", "/api/patients/%s/doctors/"} {
			id := p
			if strings.HasPrefix(path, "/api/doctors/") {
				id = d
			}
			e.do(req{method: "GET", path: fmt.Sprintf(path, itoa(id)), token: u.Access}).expect(t, 200)
			for _, spelling := range []string{"+" + itoa(id), "0" + itoa(id), "00" + itoa(id), "%2B" + itoa(id), "%20" + itoa(id)} {
				e.do(req{method: "GET", path: fmt.Sprintf(path, spelling), token: u.Access}).expectBody(t, 404, notFoundBody)
			}
		}
		e.do(req{method: "DELETE", path: "/api/patients/0" + itoa(p) + "/", token: u.Access}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "PATCH", path: "/api/doctors/+" + itoa(d) + "/", token: u.Access, body: map[string]any{"specialization": "X"}}).expectBody(t, 404, notFoundBody)
	})
}

func TestMethodNotAllowed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		res := e.do(req{method: "DELETE", path: "/api/patients/", token: u.Access})
		res.expectBody(t, 405, `{"detail": "Method \"DELETE\" not allowed.", "code": "method_not_allowed"}`)
		if allow := res.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("Allow = %q, want GET and POST", allow)
		}
		res = e.do(req{method: "GET", path: "/api/auth/login/"})
		res.expect(t, 405)
		if allow := res.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Errorf("Allow = %q, want POST", allow)
		}
	})
}

func TestUnknownRouteIsJSON404(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.do(req{method: "GET", path: "/api/nothing-here/"}).expectBody(t, 404, notFoundBody)
		e.do(req{method: "GET", path: "/"}).expectBody(t, 404, notFoundBody)
	})
}

// The request id is the server's own unless a trusted proxy names it: a
// client cannot choose what the audit trail records, nor give two requests
// one id.
func TestRequestID(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := e.newPatient(u, nil)
		chosen := "Jane.Doe.1980-01-01"
		var ids []string
		for range 2 {
			res := e.do(req{method: "GET", path: "/api/patients/" + itoa(p) + "/", token: u.Access,
				header: map[string]string{"X-Request-ID": chosen}}).expect(t, 200)
			id := res.Header.Get("X-Request-ID")
			if id == chosen || len(id) != 32 {
				t.Errorf("X-Request-ID = %q, want the server's own", id)
			}
			eventFor(t, e.auditEvents(u, "action=patient.read"), res)
			ids = append(ids, id)
		}
		if ids[0] == ids[1] {
			t.Errorf("two requests got one id %s", ids[0])
		}
		for _, ev := range e.auditEvents(u, "") {
			if ev["request_id"] == chosen {
				t.Errorf("the audit trail records the client's id: %v", ev)
			}
		}
		if e.balancer == "" {
			if !strings.Contains(e.logs.String(), `"client_request_id":"`+chosen+`"`) {
				t.Errorf("the access log does not keep the client's id beside ours")
			}
			res := e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"X-Request-ID": "bad id\" <script>"}})
			if got := res.Header.Get("X-Request-ID"); got == "" || strings.ContainsAny(got, " <\"") {
				t.Errorf("X-Request-ID = %q, want a fresh safe id", got)
			}
		}
	})
}

// A trusted proxy's request id is the request's id.
func TestRequestIDFromTrustedProxy(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, sqlstoretest.Open(t, sqlstoretest.URL(t, engine)),
				httpapi.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, healthcare.Limit{})
			res := e.do(req{method: "GET", path: "/api/doctors/", remote: "10.1.2.3:5000", header: map[string]string{"X-Request-ID": "proxy-id-1"}})
			if got := res.Header.Get("X-Request-ID"); got != "proxy-id-1" {
				t.Errorf("X-Request-ID = %q through a trusted proxy, want proxy-id-1", got)
			}
			res = e.do(req{method: "GET", path: "/api/doctors/", remote: "192.0.2.9:5000", header: map[string]string{"X-Request-ID": "proxy-id-1"}})
			if got := res.Header.Get("X-Request-ID"); got == "proxy-id-1" {
				t.Errorf("X-Request-ID = %q from an untrusted client, want the server's own", got)
			}
		})
	}
}

func TestAllowedHosts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		res := e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"Host": "evil.example"}})
		res.expect(t, 400)
		if res.Obj(t)["code"] != "invalid_host" {
			t.Errorf("body = %s, want code invalid_host", res.Body)
		}
		e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"Host": "127.0.0.1:8000"}}).expect(t, 200)
		// As Django's host check: a port is digits, a name has no other
		// characters. (nginx, in front, refuses some of these itself.)
		for _, host := range []string{"localhost:abc", "localhost:80:80", "local_host", "localhost/x", "[::1"} {
			if e.balancer == "" {
				e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"Host": host}}).expect(t, 400)
			}
		}
		if e.balancer == "" {
			// Probes answer by address, as load balancers and orchestrators ask.
			for _, probe := range []string{"/healthz", "/readyz"} {
				e.do(req{method: "GET", path: probe, header: map[string]string{"Host": "10.1.2.3:8000"}}).expect(t, 200)
			}
			if !strings.Contains(e.logs.String(), "ALLOWED_HOSTS") {
				t.Error("a refused Host is not logged as refused by ALLOWED_HOSTS")
			}
		}
	})
}

func TestHealth(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.do(req{method: "GET", path: "/healthz"}).expectBody(t, 200, `{"status": "ok"}`)
		e.do(req{method: "GET", path: "/readyz"}).expectBody(t, 200, `{"status": "ok"}`)
	})
}

func TestServerErrorHidesCause(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		e.closeDB() // every query now fails inside the store
		res := e.do(req{method: "GET", path: "/api/patients/?search=SECRETNAME", token: u.Access})
		res.expectBody(t, 500, `{"detail": "A server error occurred.", "code": "server_error"}`)
		if !strings.Contains(e.logs.String(), res.Header.Get("X-Request-ID")) {
			t.Errorf("log does not name request id %s", res.Header.Get("X-Request-ID"))
		}
		if strings.Contains(e.logs.String(), "SECRETNAME") {
			t.Errorf("log contains a query value: %s", e.logs.String())
		}
		e.do(req{method: "GET", path: "/readyz"}).expect(t, 503)
	})
}

func TestNullCharactersRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
			"first_name": "a\u0000b", "last_name": "Doe", "email": "n@example.com", "dob": "1990-01-01", "notes": "\u0000"}}).
			expectBody(t, 400, `{"first_name": ["Null characters are not allowed."], "notes": ["Null characters are not allowed."]}`)
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": "x\u0000", "password": "p"}}).
			expectBody(t, 400, `{"username": ["Null characters are not allowed."]}`)
		e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{"username": "x\u0000", "email": "x@example.com", "password": strongPassword}}).
			expectBody(t, 400, `{"username": ["Null characters are not allowed."]}`)
	})
}

func TestUncleanPathsAreNotRedirected(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		for _, p := range []string{"/api//patients/", "/api/doctors/../patients/", "/api/./doctors/"} {
			e.do(req{method: "GET", path: p, token: u.Access}).expectBody(t, 404, notFoundBody)
		}
	})
}

func TestProbesIgnoreCredentials(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.do(req{method: "GET", path: "/healthz", token: "not-a-token"}).expect(t, 200)
		e.do(req{method: "GET", path: "/readyz", token: "not-a-token"}).expect(t, 200)
	})
}

// Every answer of an API path carries DRF's Allow header; a method a path
// has no route for is answered as a DRF view answers it, once the request
// is authenticated and permitted: 401 first where a user is needed, then
// 405, and OPTIONS says what the path takes.
func TestAllowAndUnroutedMethods(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := e.newPatient(u, nil)
		options := `{"renders": ["application/json"], "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]}`
		for _, tc := range []struct {
			method, path, token string
			status              int
			allow               string
		}{
			{"GET", "/api/patients/", "", 401, "GET, POST, HEAD, OPTIONS"},
			{"GET", "/api/patients/" + itoa(p) + "/", u.Access, 200, "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"},
			{"GET", "/api/patients/999999/", u.Access, 404, "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"},
			{"PUT", "/api/patients/", "", 401, "GET, POST, HEAD, OPTIONS"},
			{"PUT", "/api/patients/", u.Access, 405, "GET, POST, HEAD, OPTIONS"},
			{"OPTIONS", "/api/patients/", "", 401, "GET, POST, HEAD, OPTIONS"},
			{"OPTIONS", "/api/patients/", u.Access, 200, "GET, POST, HEAD, OPTIONS"},
			{"PUT", "/api/doctors/", "", 401, "GET, POST, HEAD, OPTIONS"},
			{"PUT", "/api/doctors/", u.Access, 405, "GET, POST, HEAD, OPTIONS"},
			{"OPTIONS", "/api/doctors/", "", 200, "GET, POST, HEAD, OPTIONS"},
			{"GET", "/api/doctors/1/", "", 404, "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"},
			{"GET", "/api/mappings/" + itoa(p) + "/", u.Access, 200, "GET, DELETE, HEAD, OPTIONS"},
			{"DELETE", "/api/auth/login/", "", 405, "POST, OPTIONS"},
			{"GET", "/api/auth/register/", u.Access, 405, "POST, OPTIONS"},
		} {
			res := e.do(req{method: tc.method, path: tc.path, token: tc.token}).expect(t, tc.status)
			if got := res.Header.Get("Allow"); got != tc.allow {
				t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
			}
			if tc.method == "OPTIONS" && tc.status == 200 {
				res.expectBody(t, 200, options)
			}
			if tc.status == 405 {
				res.expectBody(t, 405, `{"detail": "Method \"`+tc.method+`\" not allowed.", "code": "method_not_allowed"}`)
			}
		}
		e.do(req{method: "OPTIONS", path: "/api/nothing/"}).expect(t, 404)
	})
}

// A page of results is larger than net/http's chunking threshold; it still
// goes out with its length, so clients and proxies need no chunked framing.
func TestResponsesCarryTheirLength(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		for range 20 {
			e.newPatient(u, map[string]any{"notes": strings.Repeat("n", 100)})
		}
		res := e.do(req{method: "GET", path: "/api/patients/", token: u.Access}).expect(t, 200)
		if len(res.Body) < 4096 {
			t.Fatalf("page is %d bytes; the test wants one over 4 KiB", len(res.Body))
		}
		if got := res.Header.Get("Content-Length"); got != strconv.Itoa(len(res.Body)) {
			t.Errorf("Content-Length = %q, body is %d bytes", got, len(res.Body))
		}
	})
}

// Validation errors list their fields in the resource's field order, as a
// DRF serializer does, not by name.
func TestFieldErrorsInFieldOrder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		required := `["This field is required."]`
		for _, tc := range []struct {
			path, token, want string
		}{
			{"/api/auth/register/", "", `{"username":` + required + `,"email":` + required + `,"password":` + required + `}`},
			{"/api/auth/login/", "", `{"username":` + required + `,"password":` + required + `}`},
			{"/api/patients/", u.Access, `{"first_name":` + required + `,"last_name":` + required + `,"email":` + required + `,"dob":` + required + `}`},
			{"/api/doctors/", u.Access, `{"first_name":` + required + `,"last_name":` + required + `,"email":` + required + `,"specialization":` + required + `}`},
			{"/api/mappings/", u.Access, `{"patient":` + required + `,"doctor":` + required + `}`},
		} {
			res := e.do(req{method: "POST", path: tc.path, token: tc.token, body: map[string]any{}}).expect(t, 400)
			if got := strings.TrimSpace(string(res.Body)); got != tc.want {
				t.Errorf("POST %s {} = %s, want %s", tc.path, got, tc.want)
			}
		}
	})
}

// Every field's problems come at once, as a DRF serializer reports them:
// an email already held, or an id of nothing, is reported beside another
// field's format error, not only once that is fixed.
func TestAllFieldErrorsAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p := e.newPatient(u, map[string]any{"email": "held@example.com"})
		e.newPatient(u, map[string]any{"email": "other@example.com"})
		e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
			"first_name": " ", "last_name": "Doe", "email": "HELD@example.com", "dob": "1990-01-01", "notes": true}}).
			expectBody(t, 400, `{"first_name": ["This field may not be blank."], "email": ["patient with this email already exists."], "notes": ["Not a valid string."]}`)
		e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: map[string]any{
			"last_name": "Doe", "email": "held@example.com", "dob": "1990-01-01"}}).
			expectBody(t, 400, `{"first_name": ["This field is required."], "email": ["patient with this email already exists."]}`)
		e.do(req{method: "PUT", path: "/api/patients/" + itoa(p) + "/", token: u.Access, body: map[string]any{
			"first_name": "Jon", "last_name": "Doe", "email": "other@example.com", "dob": "1990-13-01"}}).
			expectBody(t, 400, `{"email": ["patient with this email already exists."], "dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`)
		// Its own email is no conflict.
		e.do(req{method: "PATCH", path: "/api/patients/" + itoa(p) + "/", token: u.Access, body: map[string]any{
			"email": "held@example.com", "dob": "x"}}).
			expectBody(t, 400, `{"dob": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}`)

		d := e.newDoctor(u, map[string]any{"email": "dr@example.com"})
		e.do(req{method: "POST", path: "/api/doctors/", token: u.Access, body: map[string]any{
			"first_name": "A", "last_name": "B", "email": "dr@example.com", "specialization": ""}}).
			expectBody(t, 400, `{"email": ["doctor with this email already exists."], "specialization": ["This field may not be blank."]}`)
		other := e.newDoctor(u, nil)
		e.do(req{method: "PATCH", path: "/api/doctors/" + itoa(other) + "/", token: u.Access, body: map[string]any{
			"first_name": 5.5, "email": "DR@example.com", "last_name": nil}}).
			expectBody(t, 400, `{"last_name": ["This field may not be null."], "email": ["doctor with this email already exists."]}`)

		missing := `Invalid pk \"999999\" - object does not exist.`
		e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": []int{1}, "doctor": 999999}}).
			expectBody(t, 400, `{"patient": ["Incorrect type. Expected pk value, received list."], "doctor": ["`+missing+`"]}`)
		e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": 999999}}).
			expectBody(t, 400, `{"patient": ["`+missing+`"], "doctor": ["This field is required."]}`)
		e.do(req{method: "POST", path: "/api/mappings/", token: u.Access, body: map[string]any{"patient": p, "doctor": "abc"}}).
			expectBody(t, 400, `{"doctor": ["Incorrect type. Expected pk value, received str."]}`)
		e.assign(u, p, d)
	})
}
