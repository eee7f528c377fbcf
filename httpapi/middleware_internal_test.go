package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tt := range []struct {
		name, remote, xff, want string
	}{
		{"direct client, header ignored", "203.0.113.5:1000", "1.2.3.4", "203.0.113.5"},
		{"through a trusted proxy", "10.0.0.2:1000", "198.51.100.7", "198.51.100.7"},
		{"two trusted hops", "10.0.0.2:1000", "198.51.100.7, 10.0.0.9", "198.51.100.7"},
		{"spoofed left part is skipped", "10.0.0.2:1000", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
		{"only trusted hops", "10.0.0.2:1000", "10.0.0.3", "10.0.0.3"},
		{"garbage stops the walk", "10.0.0.2:1000", "198.51.100.7, junk", "10.0.0.2"},
		{"no header", "10.0.0.2:1000", "", "10.0.0.2"},
		{"IPv6 proxy", "[::1]:1000", "2001:db8::7", "2001:db8::7"},
		{"IPv4-mapped", "[::ffff:203.0.113.5]:1000", "", "203.0.113.5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := clientAddr(r, trusted); got != tt.want {
				t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

// Large bodies take a slot each; when the slots are held, the next waits
// and then gets 503 with Retry-After, while small bodies never wait.
func TestBodyGate(t *testing.T) {
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	h := withBodyGate(&errorWriter{logger: slog.New(slog.DiscardHandler)}, 1, 50*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > smallBody {
			held <- struct{}{}
			<-release // a large body still being read
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	large := func() *http.Request {
		r := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(strings.Repeat("x", smallBody+1)))
		r = r.WithContext(healthcare.NewContextWithRequestInfo(r.Context(), healthcare.RequestInfo{RequestID: "t"}))
		return r
	}
	first := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(first, large()); close(done) }()
	<-held
	second := httptest.NewRecorder()
	h.ServeHTTP(second, large())
	if second.Code != http.StatusServiceUnavailable || second.Header().Get("Retry-After") == "" {
		t.Errorf("large body while the slot is held: %d, Retry-After %q; want 503 with Retry-After", second.Code, second.Header().Get("Retry-After"))
	}
	small := httptest.NewRecorder()
	h.ServeHTTP(small, httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{}`)))
	if small.Code != http.StatusNoContent {
		t.Errorf("small body while the slot is held: %d, want 204", small.Code)
	}
	chunked := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{}`))
	chunked.ContentLength = -1
	unknown := httptest.NewRecorder()
	h.ServeHTTP(unknown, chunked)
	if unknown.Code != http.StatusServiceUnavailable {
		t.Errorf("body of unannounced length while the slot is held: %d, want 503", unknown.Code)
	}
	close(release)
	<-done
	if first.Code != http.StatusNoContent {
		t.Errorf("the request holding the slot: %d, want 204", first.Code)
	}
	third := httptest.NewRecorder()
	h.ServeHTTP(third, large())
	// held has room again: the handler does not block on it before release.
	if third.Code != http.StatusNoContent {
		t.Errorf("large body once the slot is free: %d, want 204", third.Code)
	}
}

// TestAllowedHostsRemembersOnlyAllowed: the check remembers the last Host
// it allowed, and a refused one after it is still refused, in any order.
func TestAllowedHostsRemembersOnlyAllowed(t *testing.T) {
	ew := &errorWriter{logger: slog.New(slog.DiscardHandler)}
	h := withAllowedHosts(ew, []string{".example.com"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, host := range []string{"api.example.com", "evil.test", "api.example.com", "API.example.com:8443",
		"evil.test", "example.com.evil.test", "example.com", "localhost:abc", "example.com"} {
		r := httptest.NewRequest("GET", "/api/doctors", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		want := http.StatusOK
		if !hostAllowed(host, []string{".example.com"}) {
			want = http.StatusBadRequest
		}
		if w.Code != want || (want == http.StatusOK) != strings.HasSuffix(strings.Split(host, ":")[0], "example.com") {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
	}
}
