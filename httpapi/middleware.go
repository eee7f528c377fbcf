package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clinicapi/healthcare"
)

// withRequestID gives every request an id of the server's own, echoed on
// the response and written to the logs and the audit trail. Only a trusted
// proxy names the id instead (nginx's $request_id, say): a client could
// otherwise choose what the audit trail records, or give two requests one
// id. A client's own well-formed id is kept beside ours, for the logs.
func withRequestID(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := r.Header.Get("X-Request-ID")
		if !validRequestID(sent) {
			sent = ""
		}
		info := healthcare.RequestInfo{ClientAddr: clientAddr(r, trusted)}
		if sent != "" && fromTrustedProxy(r, trusted) {
			info.RequestID = sent
		} else {
			var b [16]byte
			_, _ = rand.Read(b[:])
			info.RequestID, info.ClientRequestID = hex.EncodeToString(b[:]), sent
		}
		w.Header()["X-Request-Id"] = []string{info.RequestID} // canonical: Set would allocate to find so
		next.ServeHTTP(w, r.WithContext(healthcare.NewContextWithRequestInfo(r.Context(), info)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// clientAddr is the connection's address, unless that is a trusted proxy:
// then X-Forwarded-For is read from the right, past every trusted hop, and
// the first untrusted address is the client. Anything left of it could
// have been written by the client itself.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	client := addr.Addr().Unmap()
	if !isTrusted(client, trusted) {
		return client.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: stop at the last address we could trust
		}
		client = hop.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

// fromTrustedProxy reports whether the connection comes from a trusted proxy.
func fromTrustedProxy(r *http.Request, trusted []netip.Prefix) bool {
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && isTrusted(addr.Addr().Unmap(), trusted)
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// withRecover turns a panic into a 500 in the contract's shape; the
// process and the other requests carry on.
func withRecover(ew *errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				ew.write(w, r, panicError{v})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic: " + slog.AnyValue(p.v).String() }

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withAccessLog logs one line per request: never a body, a token or a
// query string, which may carry a patient's name. The record goes to the
// handler directly: Logger.LogAttrs would walk the stack for a source
// position that no handler of ours prints.
func withAccessLog(logger *slog.Logger, metrics Metrics, next http.Handler) http.Handler {
	handler := logger.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		metrics.InFlight(1)
		defer metrics.InFlight(-1)
		rec := &statusRecorder{ResponseWriter: w}
		state := new(requestState)
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, state))
		next.ServeHTTP(rec, r)
		now := time.Now()
		d, route := now.Sub(start), state.route()
		metrics.Request(route, r.Method, rec.status, d)
		if !handler.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		info := healthcare.RequestInfoFromContext(r.Context())
		line := slog.NewRecord(now, slog.LevelInfo, "request", 0)
		line.AddAttrs(
			slog.String("request_id", info.RequestID),
			slog.String("client_request_id", info.ClientRequestID),
			slog.String("method", truncate(r.Method, 16)), // a client may invent a long one
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Duration("duration", d),
			slog.Int64("user_id", state.userID),
			slog.String("client", info.ClientAddr),
		)
		_ = handler.Handle(r.Context(), line)
	})
}

// requestState is what the handlers inside withAccessLog note for it: the
// route pattern the router matched and the user a request was served to.
type requestState struct {
	pattern string
	userID  int64
}

type stateKey struct{}

// route is the matched pattern, never the raw path with its ids.
func (s *requestState) route() string {
	if s.pattern == "" {
		return "unmatched"
	}
	return s.pattern
}

// routeOf is the route of the request being served, for other logs.
func routeOf(r *http.Request) string {
	if s, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return s.route()
	}
	return "unmatched"
}

func setRoute(r *http.Request, pattern string) { NoteRoute(r.Context(), pattern) }

// NoteRoute names the route pattern a request matched, for the access log
// and the metrics: for a handler mounted beside the API's routes (the
// staff console), which has routes of its own.
func NoteRoute(ctx context.Context, pattern string) {
	if s, ok := ctx.Value(stateKey{}).(*requestState); ok {
		s.pattern = pattern
	}
}

// NoteUser names the user a request was served to, for the access log:
// for a handler that authenticates its own way (the staff console).
func NoteUser(ctx context.Context, id int64) {
	if s, ok := ctx.Value(stateKey{}).(*requestState); ok {
		s.userID = id
	}
}

// withTimeout gives each request a deadline, so that no database call can
// outlive the client's patience or hold a connection forever.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withAllowedHosts refuses a Host header outside hosts, as Django's
// ALLOWED_HOSTS does: ports are ignored, ".example.com" also matches its
// subdomains, and "*" matches anything. The probes are answered whatever
// the Host: a load balancer or an orchestrator asks them by address, and
// they build no URL a forged Host could poison.
func withAllowedHosts(ew *errorWriter, hosts []string, next http.Handler) http.Handler {
	// The last Host allowed: clients send one, and the check is a
	// regular expression and a walk of the list.
	var last atomic.Pointer[string]
	allowed := func(host string) bool {
		if p := last.Load(); p != nil && *p == host {
			return true
		}
		if !hostAllowed(host, hosts) {
			return false
		}
		remembered := host // only this copy escapes, not every call's argument
		last.Store(&remembered)
		return true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(r.Host) && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			ew.logger.WarnContext(r.Context(), "Host refused: not in ALLOWED_HOSTS",
				"host", truncate(r.Host, 100), "request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID)
			ew.write(w, r, httpError(eInvalidHost, "Invalid Host header."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostPattern is Django's host_validation_re: a name or a bracketed IPv6
// address, and an optional numeric port.
var hostPattern = regexp.MustCompile(`^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:\d+)?$`)

func hostAllowed(hostport string, hosts []string) bool {
	host := strings.ToLower(hostport)
	if !hostPattern.MatchString(host) {
		return false // "localhost:abc" would go into the pages' links
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	for _, pattern := range hosts {
		pattern = strings.Trim(strings.ToLower(pattern), "[]")
		switch {
		case pattern == "*", pattern == host:
			return true
		case strings.HasPrefix(pattern, ".") && (host == pattern[1:] || strings.HasSuffix(host, pattern)):
			return true
		}
	}
	return false
}

// smallBody is the size up to which a request body is read without taking
// a slot of withBodyGate: real requests are a few hundred bytes.
const smallBody = 64 << 10

// withBodyGate lets at most slots requests with a large body (over
// smallBody, or of unannounced length) be served at once; others wait up to
// wait, then get 503. Reading a body costs memory in proportion to it before
// anybody is authenticated, so the number of large ones is what bounds it.
// A body announced over MaxBodyBytes passes: it is refused unread.
func withBodyGate(ew *errorWriter, slots int, wait time.Duration, next http.Handler) http.Handler {
	gate := make(chan struct{}, slots)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := r.ContentLength
		large := n > smallBody || (n < 0 && r.Body != http.NoBody)
		if !large || n > MaxBodyBytes {
			next.ServeHTTP(w, r)
			return
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case gate <- struct{}{}:
			defer func() { <-gate }()
			next.ServeHTTP(w, r)
		case <-timer.C:
			ew.write(w, r, &healthcare.Error{Code: healthcare.EUNAVAILABLE, RetryAfter: time.Second,
				Message: "The server is busy reading other large requests; try again shortly."})
		case <-r.Context().Done():
			ew.write(w, r, r.Context().Err())
		}
	})
}
