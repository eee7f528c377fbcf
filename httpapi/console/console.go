// Package console is the staff console at /admin/: server-rendered pages
// for the people who run the service, doing what the Django design's admin
// does. It lives under httpapi because it is HTTP transport too, mounted
// by httpapi's router inside the same middleware (request id, client
// address, access log, host check); it calls only the domain's services.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"path"

	"github.com/clinicapi/healthcare"
)

//go:embed templates static
var files embed.FS

// Config holds the console's settings.
type Config struct {
	// AuthLimit bounds sign-in attempts per client address; it shares its
	// counter with the API's login, register and refresh.
	AuthLimit healthcare.Limit
	// SecureCookies marks the session cookie Secure and names it with the
	// __Host- prefix even on a plain connection: for a server behind a
	// proxy that terminates TLS. A TLS connection always does.
	SecureCookies bool
	// Key binds the sign-in form's token to its cookie (an HMAC of the
	// cookie), so that a cookie planted by someone else cannot be paired
	// with a token of their own. Every instance must have the same key;
	// nil: a random one, for a single instance.
	Key []byte
	// Unavailable tells a database outage from a bug; nil: none is.
	Unavailable func(error) bool
	// Metrics counts sign-ins with the API's logins; nil counts nothing.
	Metrics Metrics
	// NoteRoute and NoteUser tell the access log around the console which
	// route a request matched and whom it served; nil: nobody is told.
	NoteRoute func(ctx context.Context, pattern string)
	NoteUser  func(ctx context.Context, id int64)
}

// Metrics counts what the console's sign-in does, as the API's login does.
type Metrics interface {
	Login(ok bool)
	Throttled(scope string)
}

type nopMetrics struct{}

func (nopMetrics) Login(bool)       {}
func (nopMetrics) Throttled(string) {}

// Services are what the console calls.
type Services struct {
	Sessions healthcare.SessionService
	Staff    healthcare.StaffService
	Doctors  healthcare.DoctorService
	Audit    healthcare.AuditService
	Throttle healthcare.Throttle
}

// csp allows this origin's style sheet and forms only: no script runs, and
// no inline style either.
const csp = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// maxForm bounds a form body: the largest field is a reason of 500 characters.
const maxForm = 64 << 10

// NewHandler returns the console's handler, for every path under /admin/.
func NewHandler(logger *slog.Logger, cfg Config, svc Services) http.Handler {
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
	}
	if cfg.Key == nil {
		cfg.Key = make([]byte, 32)
		_, _ = rand.Read(cfg.Key) // crypto/rand never fails on Linux
	}
	if cfg.NoteRoute == nil {
		cfg.NoteRoute = func(context.Context, string) {}
	}
	if cfg.NoteUser == nil {
		cfg.NoteUser = func(context.Context, int64) {}
	}
	c := &console{logger: logger, cfg: cfg, svc: svc, pages: parsePages()}
	mux := http.NewServeMux()
	c.addRoutes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Cache-Control", "no-store")
		h.Del("Allow")
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		// An unclean path ("..", "//") names nothing here.
		if p := r.URL.Path; path.Clean(p) != p && path.Clean(p)+"/" != p {
			c.fail(w, r, healthcare.NotFound())
			return
		}
		_, pattern := mux.Handler(r)
		if pattern == "" {
			c.fail(w, r, healthcare.NotFound())
			return
		}
		c.cfg.NoteRoute(r.Context(), pattern)
		mux.ServeHTTP(w, r)
	})
}

type console struct {
	logger *slog.Logger
	cfg    Config
	svc    Services
	pages  map[string]*pageTemplate
}

// addRoutes is the console's whole surface. Every change is a POST with
// the session's CSRF token.
func (c *console) addRoutes(mux *http.ServeMux) {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux.Handle("GET /admin/static/{file}", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	mux.Handle("GET /admin/login", c.handle(c.handleLoginForm))
	mux.Handle("POST /admin/login", c.handle(c.handleLogin))
	mux.Handle("POST /admin/logout", c.staff(c.handleLogout))

	mux.Handle("GET /admin/{$}", c.staff(c.handleDashboard))

	mux.Handle("GET /admin/accounts/{$}", c.staff(c.handleAccounts))
	mux.Handle("GET /admin/accounts/{id}", c.staff(c.handleAccount))
	mux.Handle("POST /admin/accounts/{id}/active", c.staff(c.handleAccountActive))
	mux.Handle("POST /admin/accounts/{id}/staff", c.staff(c.handleAccountStaff))
	mux.Handle("POST /admin/accounts/{id}/password", c.staff(c.handleAccountPassword))

	mux.Handle("GET /admin/doctors/{$}", c.staff(c.handleDoctors))
	mux.Handle("GET /admin/doctors/new", c.staff(c.handleDoctorNew))
	mux.Handle("POST /admin/doctors/{$}", c.staff(c.handleDoctorCreate))
	mux.Handle("GET /admin/doctors/{id}", c.staff(c.handleDoctor))
	mux.Handle("POST /admin/doctors/{id}", c.staff(c.handleDoctorUpdate))
	mux.Handle("POST /admin/doctors/{id}/delete", c.staff(c.handleDoctorDelete))

	mux.Handle("GET /admin/patients/{$}", c.staff(c.handlePatientForm))
	mux.Handle("POST /admin/patients/{$}", c.staff(c.handlePatientOpen))

	mux.Handle("GET /admin/audit/{$}", c.staff(c.handleAudit))
	mux.Handle("GET /admin/audit/export.csv", c.staff(c.handleAuditExport(csvFormat)))
	mux.Handle("GET /admin/audit/export.jsonl", c.staff(c.handleAuditExport(jsonLinesFormat)))
}
