package httpapi_test

import (
	"testing"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		for _, r := range []req{
			{method: "GET", path: "/api/patients/", token: u.Access},
			{method: "GET", path: "/api/patients/"},
			{method: "POST", path: "/api/patients/", token: u.Access, body: "{"},
			{method: "GET", path: "/api/nothing"},
			{method: "GET", path: "/healthz"},
		} {
			res := e.do(r)
			for k, want := range map[string]string{
				"Cache-Control":           "no-store",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s %s: %s = %q, want %q", r.method, r.path, k, got, want)
				}
			}
			if res.Header.Get("Strict-Transport-Security") != "" {
				t.Errorf("HSTS on a plain-HTTP response")
			}
		}
	})
}

func TestCORS(t *testing.T) {
	cfg := httpapi.Config{CORSAllowedOrigins: []string{"https://app.clinic.example"}}
	forEachEngineWith(t, cfg, healthcare.Limit{}, func(t *testing.T, e *env) {
		ok := e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"Origin": "https://app.clinic.example"}}).expect(t, 200)
		if got := ok.Header.Get("Access-Control-Allow-Origin"); got != "https://app.clinic.example" {
			t.Errorf("allowed origin: Access-Control-Allow-Origin = %q", got)
		}
		if ok.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Error("credentials allowed: tokens never travel in cookies")
		}
		pre := e.do(req{method: "OPTIONS", path: "/api/patients/", header: map[string]string{
			"Origin": "https://app.clinic.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization, content-type"}}).expect(t, 204)
		if pre.Header.Get("Access-Control-Allow-Methods") == "" || pre.Header.Get("Access-Control-Allow-Headers") == "" {
			t.Errorf("preflight headers: %v", pre.Header)
		}
		foreign := e.do(req{method: "GET", path: "/api/doctors/", header: map[string]string{"Origin": "https://evil.example"}}).expect(t, 200)
		if got := foreign.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("foreign origin: Access-Control-Allow-Origin = %q", got)
		}
		e.do(req{method: "OPTIONS", path: "/api/patients/", header: map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"}}).
			expectBody(t, 403, `{"detail": "Origin not allowed.", "code": "permission_denied"}`)
	})
}
