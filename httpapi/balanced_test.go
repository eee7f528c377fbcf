package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/internal/nginx"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// balanced is HEALTHCARE_TEST_BALANCER=nginx: every PostgreSQL test then
// talks HTTP to nginx in front of two instances of the server, each with
// its own connection pool and auditor, sharing one database, which is how
// N instances run in production. scripts/scaleout runs the suite this way.
var balanced = os.Getenv("HEALTHCARE_TEST_BALANCER") == "nginx"

// loopback is where nginx connects from, so the instances believe its
// X-Forwarded-For.
var loopback = netip.MustParsePrefix("127.0.0.0/8")

var balancedClient = &http.Client{
	Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       time.Minute,
}

// newBalancedEnv starts two instances on the database at url behind nginx.
func newBalancedEnv(t *testing.T, url string, cfg httpapi.Config, login healthcare.Limit) *env {
	t.Helper()
	if !nginx.Available() {
		t.Fatal("HEALTHCARE_TEST_BALANCER=nginx needs nginx on PATH")
	}
	cfg.TrustedProxies = append(slices.Clone(cfg.TrustedProxies), loopback)
	logs := &bytes.Buffer{}
	w := &lockedWriter{w: logs}
	a := newEnvLogging(t, sqlstoretest.Open(t, url), cfg, login, logs, w)
	b := newEnvLogging(t, sqlstoretest.Open(t, url), cfg, login, logs, w)
	a.url = url
	a.dbs = append(a.dbs, b.dbs...)
	var upstreams []string
	for _, h := range []http.Handler{a.handler, b.handler} {
		served := &atomic.Int64{}
		a.served = append(a.served, served)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		upstreams = append(upstreams, strings.TrimPrefix(srv.URL, "http://"))
	}
	lb, err := nginx.Start(upstreams...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Stop)
	a.balancer = lb.URL
	return a
}

// roundTrip sends hr to the balancer, the test's client address in
// X-Forwarded-For as a client's own proxy would set it.
func (e *env) roundTrip(hr *http.Request) *http.Response {
	e.t.Helper()
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := http.NewRequest(hr.Method, e.balancer+hr.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	r.Host = hr.Host
	r.Header = hr.Header.Clone()
	if addr, err := netip.ParseAddrPort(hr.RemoteAddr); err == nil {
		r.Header.Set("X-Forwarded-For", addr.Addr().String())
	}
	res, err := balancedClient.Do(r)
	if err != nil {
		e.t.Fatalf("%s %s through nginx: %v", hr.Method, hr.URL, err)
	}
	return res
}

func TestBalancerReachesBothInstances(t *testing.T) {
	if !balanced {
		t.Skip("runs with HEALTHCARE_TEST_BALANCER=nginx")
	}
	forEachEngine(t, func(t *testing.T, e *env) {
		if e.balancer == "" {
			return // SQLite runs in-process
		}
		u := e.newUser()
		for range 10 {
			e.do(req{method: "GET", path: "/api/auth/me/", token: u.Access}).expect(t, 200)
		}
		for i, n := range e.served {
			if n.Load() == 0 {
				t.Errorf("instance %d served nothing", i)
			}
		}
	})
}
