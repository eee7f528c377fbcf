package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/clinicapi/healthcare"
)

// withSecurityHeaders sets the headers every API response carries: nothing
// is cached (responses hold patient data), sniffed, framed or referred;
// HSTS only where the connection is TLS, as browsers ignore it otherwise.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, sh := range securityHeaders {
			h[sh.name] = sh.value
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders' values are shared by every response rather than made
// for each: their capacity is one, so an Add elsewhere copies rather than
// writes into them, and Set replaces them.
var securityHeaders = []struct {
	name  string
	value []string
}{
	{"Cache-Control", []string{"no-store"}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
}

var hsts = []string{"max-age=31536000; includeSubDomains"}

// withCORS lets the browsers of the listed origins call the API. Tokens
// travel in the Authorization header, never in cookies, so credentials are
// never allowed and "*" stays harmless. A preflight from another origin is
// refused outright.
func withCORS(ew *errorWriter, origins []string, next http.Handler) http.Handler {
	anyOrigin := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := anyOrigin || slices.Contains(origins, origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !allowed {
			if preflight {
				ew.write(w, r, healthcare.Errorf(healthcare.EPERMISSION, "Origin not allowed."))
				return
			}
			next.ServeHTTP(w, r) // no CORS headers: the browser withholds the answer
			return
		}
		h := w.Header()
		if anyOrigin {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Set("Access-Control-Expose-Headers", "ETag, Retry-After, X-Request-ID")
		if preflight {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, X-Request-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// normalizeOrigins keeps scheme://host[:port] of each configured origin.
func normalizeOrigins(origins []string) []string {
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		out = append(out, strings.TrimSuffix(strings.TrimSpace(o), "/"))
	}
	return out
}
