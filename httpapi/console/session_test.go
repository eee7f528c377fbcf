package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi/console"
)

func TestSignInStaffOnly(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.browser()
		// ann's right password gets exactly what a wrong one gets.
		wrong := b.signIn("ann", "not the password")
		notStaff := b.signIn("ann", annPassword)
		wantStatus(t, "wrong password", wrong, http.StatusOK)
		wantBody(t, "wrong password", wrong, "Please enter the correct username and password for a staff account.")
		if notStaff.Status != wrong.Status || notStaff.Body != wrong.Body {
			t.Errorf("non-staff answer differs from a wrong password's:\n%d %s\nvs\n%d %s",
				notStaff.Status, notStaff.Body, wrong.Status, wrong.Body)
		}
		if got := b.get("/admin/"); got.Status != http.StatusSeeOther {
			t.Fatalf("GET /admin/ after failed sign-ins: %d, want a redirect to sign in", got.Status)
		}
		ok := b.signIn("root@EXAMPLE.com", rootPassword)
		wantStatus(t, "staff sign-in", ok, http.StatusSeeOther)
		var cookie string
		for _, c := range ok.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "console_session=") {
				cookie = c
			}
		}
		for _, attr := range []string{"Path=/admin/", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		home := b.get("/admin/")
		wantStatus(t, "dashboard", home, http.StatusOK)
		wantBody(t, "dashboard", home, "Signed in as <strong>root</strong>")
		if csp := home.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self';") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		out := b.post("/admin/", "/admin/logout", url.Values{})
		wantStatus(t, "sign out", out, http.StatusSeeOther)
		if got := b.get("/admin/"); got.Status != http.StatusSeeOther {
			t.Errorf("GET /admin/ after sign-out: %d, want a redirect", got.Status)
		}
	})
}

func TestSecureCookies(t *testing.T) {
	want := []string{"__Host-console_login=", "Path=/;", "Secure", "HttpOnly", "SameSite=Strict"}
	// Subtests of their own: a SQLite file path may not hold the "#" of a
	// repeated subtest name.
	t.Run("proxy", func(t *testing.T) {
		forEachEngineWith(t, console.Config{SecureCookies: true}, func(t *testing.T, e *env) {
			c := e.browser().get("/admin/login").Header.Get("Set-Cookie")
			for _, attr := range want {
				if !strings.Contains(c, attr) {
					t.Errorf("behind a TLS proxy: cookie %q lacks %s", c, attr)
				}
			}
		})
	})
	// Served over TLS, whatever the setting.
	t.Run("tls", func(t *testing.T) {
		forEachEngine(t, func(t *testing.T, e *env) {
			ts := httptest.NewTLSServer(e.srv.Config.Handler)
			defer ts.Close()
			resp, err := ts.Client().Get(ts.URL + "/admin/login")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			c := resp.Header.Get("Set-Cookie")
			for _, attr := range want {
				if !strings.Contains(c, attr) {
					t.Errorf("over TLS: cookie %q lacks %s", c, attr)
				}
			}
		})
	})
}

func TestCSRFRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		other := e.signedIn()
		path := "/admin/accounts/" + idOf(e.ann) + "/active"
		for what, token := range map[string]string{"none": "", "another session's": other.csrf("/admin/"), "garbage": "00"} {
			p := b.do(http.MethodPost, path, url.Values{"active": {"no"}, "csrf": {token}})
			wantStatus(t, what+" token", p, http.StatusForbidden)
			wantBody(t, what+" token", p, "security token")
		}
		// The sign-in form too: without its cookie's token, refused.
		fresh := e.browser()
		p := fresh.do(http.MethodPost, "/admin/login", url.Values{"username": {"root"}, "password": {rootPassword}})
		wantStatus(t, "sign-in without token", p, http.StatusForbidden)
		// A sign-in cookie planted by somebody else, paired with the same
		// value as the form's token (a double submit), is refused: the
		// token is a keyed hash of the cookie.
		planted := e.browser()
		nonce := strings.Repeat("ab", 32)
		site, _ := url.Parse(e.srv.URL + "/admin/")
		planted.client.Jar.SetCookies(site, []*http.Cookie{{Name: "console_login", Value: nonce, Path: "/admin/"}})
		p = planted.do(http.MethodPost, "/admin/login", url.Values{"username": {"root"}, "password": {rootPassword}, "csrf": {nonce}})
		wantStatus(t, "sign-in with a planted cookie", p, http.StatusForbidden)
		// Mutations are POST only.
		wantStatus(t, "GET on an action", b.get(path), http.StatusNotFound)
		u, err := e.auth.Authenticate(t.Context(), mustLogin(t, e, "ann", annPassword).Access)
		if err != nil || !u.IsActive {
			t.Fatalf("ann after refused forms: %v, %v; want still active", u, err)
		}
	})
}

func mustLogin(t *testing.T, e *env, username, password string) *healthcare.TokenPair {
	t.Helper()
	pair, err := e.auth.Login(t.Context(), username, password)
	if err != nil {
		t.Fatalf("Login(%s): %v", username, err)
	}
	return pair
}

func TestSessionExpires(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		e.advance(14 * time.Minute)
		wantStatus(t, "after 14 idle minutes", b.get("/admin/"), http.StatusOK)
		e.advance(15*time.Minute + time.Second)
		p := b.get("/admin/accounts/")
		wantStatus(t, "after 15 idle minutes", p, http.StatusSeeOther)
		if loc := p.Header.Get("Location"); loc != "/admin/login?expired=1" {
			t.Errorf("Location = %q", loc)
		}
		wantBody(t, "sign-in page", b.get("/admin/login?expired=1"), "Your session has ended")
		// Absolute: used every 10 minutes, still over after 8 hours.
		b = e.signedIn()
		for range 47 {
			e.advance(10 * time.Minute)
			wantStatus(t, "within 8 hours", b.get("/admin/"), http.StatusOK)
		}
		e.advance(10*time.Minute + time.Second)
		wantStatus(t, "after 8 hours", b.get("/admin/"), http.StatusSeeOther)
	})
}

// countingMetrics counts what the console reports, across engines.
type countingMetrics struct {
	mu                       sync.Mutex
	ok, failed, throttledTry int
}

func (m *countingMetrics) Login(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ok {
		m.ok++
	} else {
		m.failed++
	}
}

func (m *countingMetrics) Throttled(string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.throttledTry++
}

func TestSignInThrottled(t *testing.T) {
	m := &countingMetrics{}
	t.Cleanup(func() {
		// Per engine: two failed sign-ins, then one refused by the limit.
		if m.ok != 0 || m.failed != 4 || m.throttledTry != 2 {
			t.Errorf("metrics: %d ok, %d failed, %d throttled; want 0, 4, 2", m.ok, m.failed, m.throttledTry)
		}
	})
	cfg := console.Config{AuthLimit: healthcare.Limit{Requests: 2, Window: time.Minute}, Metrics: m}
	forEachEngineWith(t, cfg, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn("root", "wrong")
		b.signIn("root", "wrong")
		p := b.signIn("root", rootPassword)
		wantStatus(t, "third sign-in from one address", p, http.StatusTooManyRequests)
		wantBody(t, "throttled", p, "Request was throttled")
		if p.Header.Get("Retry-After") == "" {
			t.Error("throttled sign-in has no Retry-After")
		}
	})
}

// A record's path has one spelling, as in the API: "02" and "+2" are not 2.
func TestPathIDsAreCanonical(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		wantStatus(t, "canonical", b.get("/admin/accounts/"+idOf(e.ann)), http.StatusOK)
		for _, spelling := range []string{"0" + idOf(e.ann), "+" + idOf(e.ann), "%2B" + idOf(e.ann)} {
			wantStatus(t, spelling, b.get("/admin/accounts/"+spelling), http.StatusNotFound)
		}
	})
}
