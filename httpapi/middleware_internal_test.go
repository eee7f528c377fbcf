package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
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
