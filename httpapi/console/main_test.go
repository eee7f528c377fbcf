package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/httpapi/console"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) { sqlstoretest.Main(m) }

// Passwords of the test accounts.
const (
	rootPassword = "Console-Root-Pass-1"
	annPassword  = "Console-Ann-Pass-1"
)

// env is the whole server, API and console, on a real database of one
// engine, with a clock the test moves: root is staff, ann is not.
type env struct {
	t         *testing.T
	srv       *httptest.Server
	db        *sqlstore.DB
	auth      *sqlstore.AuthService
	root, ann *healthcare.User
	mu        sync.Mutex
	now       time.Time
	logs      lockedBuffer
}

// lockedBuffer is the server's log, written by concurrent requests.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	forEachEngineWith(t, console.Config{}, fn)
}

func forEachEngineWith(t *testing.T, cfg console.Config, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, sqlstoretest.Open(t, sqlstoretest.URL(t, engine)), cfg))
		})
	}
}

func newEnv(t *testing.T, db *sqlstore.DB, cfg console.Config) *env {
	t.Helper()
	e := &env{t: t, db: db, now: time.Now().UTC()}
	db.Now = func() time.Time {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.now
	}
	hasher, err := password.NewHasher(password.Params{MemoryKiB: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := password.NewPolicy()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jwt.NewSigner([]byte("test-secret-key-test-secret-key-0123"), 5*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = sqlstore.NewAuthService(db, hasher, policy, signer)
	logger := slog.New(slog.NewJSONHandler(&e.logs, nil))
	cfg.NoteRoute, cfg.NoteUser = httpapi.NoteRoute, httpapi.NoteUser
	svc := console.Services{
		Sessions: sqlstore.NewSessionService(e.auth),
		Staff:    sqlstore.NewStaffService(e.auth),
		Doctors:  sqlstore.NewDoctorService(db),
		Audit:    sqlstore.NewAuditService(db),
		Throttle: sqlstore.NewThrottle(db),
	}
	h := httpapi.NewHandler(logger, httpapi.Config{AllowedHosts: []string{"127.0.0.1"}}, httpapi.Services{
		Auth: e.auth, Patients: sqlstore.NewPatientService(db), Doctors: sqlstore.NewDoctorService(db),
		Assignments: sqlstore.NewAssignmentService(db), Audit: sqlstore.NewAuditService(db),
		Throttle: sqlstore.NewThrottle(db), Ready: db.Ready, Console: console.NewHandler(logger, cfg, svc),
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	ctx := context.Background()
	if e.root, err = e.auth.CreateSuperuser(ctx, healthcare.Registration{Username: "root", Email: "root@example.com", Password: rootPassword}); err != nil {
		t.Fatal(err)
	}
	if e.ann, err = e.auth.Register(ctx, healthcare.Registration{Username: "ann", Email: "ann@example.com", Password: annPassword}); err != nil {
		t.Fatal(err)
	}
	return e
}

// browser is one browser's cookies: it follows no redirect by itself.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is what a request got back.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, form url.Values) page {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (b *browser) get(path string) page { b.e.t.Helper(); return b.do(http.MethodGet, path, nil) }

var csrfPattern = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf is the token of the forms on the page at path.
func (b *browser) csrf(path string) string {
	b.e.t.Helper()
	p := b.get(path)
	m := csrfPattern.FindStringSubmatch(p.Body)
	if m == nil {
		b.e.t.Fatalf("GET %s: no CSRF token in %d %s", path, p.Status, p.Body)
	}
	return m[1]
}

// post submits a form from the page at from, with its CSRF token.
func (b *browser) post(from, path string, form url.Values) page {
	b.e.t.Helper()
	form.Set("csrf", b.csrf(from))
	return b.do(http.MethodPost, path, form)
}

func (b *browser) signIn(username, password string) page {
	b.e.t.Helper()
	return b.post("/admin/login", "/admin/login", url.Values{"username": {username}, "password": {password}})
}

// signedIn is a browser with root's session.
func (e *env) signedIn() *browser {
	e.t.Helper()
	b := e.browser()
	if p := b.signIn("root", rootPassword); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/" {
		e.t.Fatalf("sign in: %d %s", p.Status, p.Body)
	}
	return b
}

func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, p.Status, status, p.Body)
	}
}

func wantBody(t *testing.T, what string, p page, substrings ...string) {
	t.Helper()
	for _, s := range substrings {
		if !strings.Contains(p.Body, s) {
			t.Errorf("%s: body lacks %q:\n%s", what, s, p.Body)
		}
	}
}

func idOf(u *healthcare.User) string { return strconv.FormatInt(u.ID, 10) }
