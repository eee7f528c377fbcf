// Package httpapi is the HTTP transport of the healthcare API: routing,
// request decoding, response encoding and the contract's error bodies.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
)

// Config holds the transport's settings.
type Config struct {
	AllowedHosts []string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// AuthLimit bounds login, register and refresh requests per client
	// address; DoctorWriteLimit bounds doctor writes per user.
	AuthLimit        healthcare.Limit
	DoctorWriteLimit healthcare.Limit
	// CORSAllowedOrigins may call the API from a browser.
	CORSAllowedOrigins []string
	// RequestTimeout bounds each request's work, database calls included.
	RequestTimeout time.Duration
	// Unavailable tells a database outage from a bug, so that an outage is
	// a 503 the client may retry rather than a 500; nil: none is.
	Unavailable func(error) bool
	// MetricsElsewhere: /metrics is served on a listener of its own, and
	// the API's port answers it with 404.
	MetricsElsewhere bool
}

// Services are what the handlers call.
type Services struct {
	Auth        healthcare.AuthService
	Patients    healthcare.PatientService
	Doctors     healthcare.DoctorService
	Assignments healthcare.AssignmentService
	Audit       healthcare.AuditService
	Throttle    healthcare.Throttle
	// Metrics records requests; nil records nothing and serves no /metrics.
	Metrics Metrics
	// Ready reports whether the service can serve, for /readyz.
	Ready func(ctx context.Context) error
	// Console serves every path under /admin/ (the staff console), inside
	// this handler's middleware; nil: those paths are not found.
	Console http.Handler
}

// largeBodySlots is how many requests with a large body are served at
// once: each may hold a few MiB while its body is read and parsed.
const largeBodySlots = 8

// NewHandler returns the API's HTTP handler: the routes of routes.go, each
// with its authentication and throttling, behind request id → outage test
// → recover → access log → security headers → deadline → host check →
// CORS → large-body gate → router.
func NewHandler(logger *slog.Logger, cfg Config, svc Services) http.Handler {
	if svc.Metrics == nil {
		svc.Metrics = nopMetrics{}
	}
	ew := &errorWriter{logger: logger, unavailable: cfg.Unavailable}
	rt := &router{mux: http.NewServeMux(), paths: newPathTable(), auth: svc.Auth, ew: ew, console: svc.Console}
	addRoutes(rt, rt.paths, ew, cfg, svc)
	rt.mux.HandleFunc("/", rt.serveUnrouted)
	var h http.Handler = rt
	h = withBodyGate(ew, largeBodySlots, 2*time.Second, h)
	h = withCORS(ew, normalizeOrigins(cfg.CORSAllowedOrigins), h)
	h = withAllowedHosts(ew, cfg.AllowedHosts, h)
	h = withTimeout(cfg.RequestTimeout, h)
	h = withSecurityHeaders(h)
	h = withAccessLog(logger, svc.Metrics, h)
	h = withRecover(ew, h)
	h = withRequestID(cfg.TrustedProxies, h)
	return h
}

// Metrics records what the server does, for GET /metrics.
type Metrics interface {
	// Request counts one finished request by route pattern, never raw path.
	Request(route, method string, status int, d time.Duration)
	// InFlight moves the gauge of requests being served.
	InFlight(delta int)
	// Login counts a login attempt that succeeded or failed.
	Login(ok bool)
	// Throttled counts a request refused by a rate limit.
	Throttled(scope string)
	Handler() http.Handler
}

// nopMetrics records nothing and serves no /metrics.
type nopMetrics struct{}

func (nopMetrics) Request(string, string, int, time.Duration) {}
func (nopMetrics) InFlight(int)                               {}
func (nopMetrics) Login(bool)                                 {}
func (nopMetrics) Throttled(string)                           {}
func (nopMetrics) Handler() http.Handler                      { return nil }

// formatSuffix is a record path whose id carries a DRF format suffix.
var formatSuffix = regexp.MustCompile(`^/api/(patients|doctors|mappings)/[^/.]+\.[a-z0-9]+$`)

// hasFormatSuffix is formatSuffix, with the regular expression run only
// on a path that has a dot at all.
func hasFormatSuffix(p string) bool {
	return strings.IndexByte(p, '.') >= 0 && formatSuffix.MatchString(p)
}

// negotiated says whether a path's answer is chosen by DRF's content
// negotiation: every API path but the schema and the docs (whose pages a
// browser asks for as HTML).
func negotiated(p string) bool {
	return isAPIPath(p) && p != "/api/schema" && p != "/api/docs" && !strings.HasPrefix(p, "/api/docs/")
}

// acceptsJSON says whether DRF's JSON renderer, the only one, satisfies the
// request's Accept: no header, or a media range of application/json,
// application/* or */* in it (DRF reads neither q nor other parameters).
// A header present but empty satisfies none, as in DRF.
func acceptsJSON(h http.Header) bool {
	values, given := h["Accept"]
	if !given {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json", "application/*", "*/*":
				return true
			}
		}
	}
	return false
}

// router serves every route with and without its trailing slash, sends
// DRF's Allow header with every answer of an API path, and answers a
// method a path has no route for as DRF does (after authentication and
// permission: 401, then 405, or OPTIONS), in the contract's shape. A
// request is matched once: each route's handler is wrapped (Handle) to
// do what every answer of its path needs first.
type router struct {
	mux   *http.ServeMux
	paths *pathTable
	auth  healthcare.AuthService
	ew    *errorWriter
	// console serves /admin/ and below, with paths of its own making.
	console http.Handler
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; rt.console != nil && (p == "/admin" || strings.HasPrefix(p, "/admin/")) {
		setRoute(r, "/admin/") // the console names its own route, if it has one
		if p == "/admin" {
			http.Redirect(w, r, "/admin/", http.StatusMovedPermanently)
			return
		}
		rt.console.ServeHTTP(w, r)
		return
	}
	// An encoded slash names nothing: the mux would take it for part of a
	// segment ("/api/patients/1%2Fdoctors" is record "1/doctors"), a WSGI
	// server for a separator, and a proxy's rule on the raw path for
	// neither.
	if strings.Contains(r.URL.RawPath, "%2F") || strings.Contains(r.URL.RawPath, "%2f") {
		rt.ew.write(w, r, healthcare.NotFound())
		return
	}
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path = strings.TrimSuffix(p, "/")
		r.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
	}
	// An unclean path ("//", "..") would get the mux's redirect, and
	// "OPTIONS *" its empty 400; the contract has neither, and such a path
	// names nothing.
	if !strings.HasPrefix(r.URL.Path, "/") || path.Clean(r.URL.Path) != r.URL.Path {
		rt.ew.write(w, r, healthcare.NotFound())
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// Handle registers a route's handler (addRoutes calls it, after adding
// the pattern to the path table).
func (rt *router) Handle(pattern string, h http.Handler) {
	_, p, _ := strings.Cut(pattern, " ")
	info := rt.paths.infos[p]
	if info == nil {
		panic("httpapi: route " + pattern + " registered before its path")
	}
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.serve(w, r, info, pattern, h)
	}))
}

// serveUnrouted is the mux's handler of last resort: a path of no route,
// or a method its path has no route for.
func (rt *router) serveUnrouted(w http.ResponseWriter, r *http.Request) {
	info := rt.paths.lookup(r)
	if info == nil {
		rt.ew.write(w, r, healthcare.NotFound())
		return
	}
	if !isAPIPath(r.URL.Path) {
		w.Header().Set("Allow", info.allow) // an API path's is set by serve
	}
	rt.serve(w, r, info, info.path, rt.ew.handle(info.unrouted(rt.auth)))
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// serve answers what every method of a path answers first, then calls h:
// the route's handler, or the answer to a method of no route. route names
// the request in the access log and the metrics: the route's pattern, or
// the path's for a method it has no route for.
func (rt *router) serve(w http.ResponseWriter, r *http.Request, info *pathInfo, route string, h http.Handler) {
	setRoute(r, route)
	if isAPIPath(r.URL.Path) {
		w.Header().Set("Allow", info.allow)
	}
	if hasFormatSuffix(r.URL.Path) {
		// DRF's router reads "5.xml" as record 5 in format xml, and a
		// format it has no renderer for is 404 before anything else,
		// whatever the method or the Accept header. (Record 5 in JSON,
		// "5.json", is no canonical id here: 404 too.)
		rt.ew.write(w, r, healthcare.NotFound())
		return
	}
	if negotiated(r.URL.Path) && !acceptsJSON(r.Header) {
		rt.ew.write(w, r, httpError(eNotAcceptable, "Could not satisfy the request Accept header."))
		return
	}
	h.ServeHTTP(w, r)
}
