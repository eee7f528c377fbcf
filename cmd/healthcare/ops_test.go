package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestMetrics(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) { testMetrics(t, sqlstoretest.URL(t, engine)) })
	}
}

func testMetrics(t *testing.T, url string) {
	base, _, _ := startServer(t, map[string]string{"DATABASE_URL": url, "SECRET_KEY": "metrics-test-key-metrics-test-key-0123"})
	c := client{t: t, base: base}
	// Invented methods must not each become a label value.
	for i := range 300 {
		req, _ := http.NewRequest(fmt.Sprintf("XQWERTY%d", i), base+"/api/patients/", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	c.call("POST", "/api/auth/register/", "", map[string]any{"username": "m", "email": "m@example.com", "password": "c0rrect-h0rse-battery"}, 201)
	tok := c.call("POST", "/api/auth/login/", "", map[string]any{"username": "m", "password": "c0rrect-h0rse-battery"}, 200)
	c.call("POST", "/api/auth/login/", "", map[string]any{"username": "m", "password": "wrong-password-x"}, 401)
	p := c.call("POST", "/api/patients/", tok["access"].(string), map[string]any{"first_name": "A", "last_name": "B", "email": "a@b.com", "dob": "1990-01-01"}, 201)
	c.call("GET", "/api/patients/"+itoa64(p["id"])+"/", tok["access"].(string), nil, 200)
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		`healthcare_http_requests_total{method="GET",route="GET /api/patients/{id}",status="200"} 1`,
		`healthcare_http_request_duration_seconds_bucket{method="POST",route="POST /api/patients"`,
		// A method of no route is named by its path's pattern.
		`healthcare_http_requests_total{method="other",route="/api/patients",status="401"} 300`,
		`healthcare_http_requests_in_flight`,
		`healthcare_logins_total{result="ok"} 1`,
		`healthcare_logins_total{result="failed"} 1`,
		`healthcare_audit_batch_events_count`,
		`healthcare_audit_lag_seconds_bucket`,
		`healthcare_db_connections_open`,
		`healthcare_db_wait_total`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "/api/patients/"+itoa64(p["id"])) {
		t.Error("/metrics names a raw path with an id")
	}
	if strings.Contains(text, "XQWERTY") || !strings.Contains(text, `method="other"`) {
		t.Error(`/metrics has a client's invented method as a label value, or no method="other"`)
	}
}

func itoa64(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// proxy forwards TCP connections to target until stopped, so a test can
// cut the server off from its database and give it back.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop refuses new connections and cuts every open one, as a database
// crash does.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutage: while PostgreSQL is unreachable, requests fail fast
// with 503 and Retry-After, /readyz is 503; once it is back, the service
// recovers by itself.
func TestDatabaseOutage(t *testing.T) {
	dbURL := sqlstoretest.PostgresURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	u.Host = px.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	env := map[string]string{"DATABASE_URL": u.String(), "SECRET_KEY": strings.Repeat("k", 40), "REQUEST_TIMEOUT": "5s"}
	base, _, _ := startServer(t, env)
	c := client{t: t, base: base}
	c.call("POST", "/api/auth/register/", "", map[string]any{"username": "o", "email": "o@example.com", "password": "c0rrect-h0rse-battery"}, 201)
	tok := c.call("POST", "/api/auth/login/", "", map[string]any{"username": "o", "password": "c0rrect-h0rse-battery"}, 200)
	access := tok["access"].(string)

	px.stop()
	for _, path := range []string{"/api/patients/", "/api/doctors/", "/readyz"} {
		start := time.Now()
		r, _ := http.NewRequest("GET", base+path, nil)
		r.Header.Set("Authorization", "Bearer "+access)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 503 || !strings.Contains(string(body), `"service_unavailable"`) || res.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s during the outage = %d %s (Retry-After %q)", path, res.StatusCode, body, res.Header.Get("Retry-After"))
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("GET %s took %v during the outage, want a fast failure", path, d)
		}
	}

	px.start(px.addr)
	r, _ := http.NewRequest("GET", base+"/api/patients/", nil)
	r.Header.Set("Authorization", "Bearer "+access)
	if !waitForStatus(r, 200, 5*time.Second) {
		t.Fatalf("not recovered 5 s after the database came back")
	}
	c.call("GET", "/readyz", "", nil, 200)
}

// TestGracefulShutdown: on the signal, /readyz turns 503 at once while
// requests are still served through SHUTDOWN_DELAY, then the listener
// drains and run returns nil.
func TestGracefulShutdown(t *testing.T) {
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "SHUTDOWN_DELAY": "1500ms"}
	base, logs, stop := startServer(t, env)
	c := client{t: t, base: base}
	c.call("GET", "/readyz", "", nil, 200)
	done := make(chan error, 1)
	go func() { done <- stop() }()
	r, _ := http.NewRequest("GET", base+"/readyz", nil)
	if !waitForStatus(r, 503, time.Second) {
		t.Fatal("/readyz still 200 after the signal")
	}
	c.call("GET", "/api/doctors/", "", nil, 200) // still serving while draining
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	for _, msg := range []string{"listener drained", "stopped"} {
		if !strings.Contains(logs.String(), `"msg":"`+msg+`"`) {
			t.Errorf("no %q line in the log", msg)
		}
	}
}

func TestProbe(t *testing.T) {
	base, _, _ := startServer(t, map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "ALLOWED_HOSTS": "api.example.com"})
	getenv := func(string) string { return "" }
	if err := run(t.Context(), []string{"probe", base + "/readyz"}, getenv, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("probe of a ready server = %v", err)
	}
	// ADDR comes from the environment, or from ./.env as serve reads it.
	addr := strings.TrimPrefix(base, "http://")
	if err := run(t.Context(), []string{"probe"}, func(k string) string { return map[string]string{"ADDR": addr}[k] }, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("probe of ADDR = %v", err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile(".env", []byte("ADDR="+addr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"probe"}, getenv, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("probe of ADDR in .env = %v", err)
	}
	if err := run(t.Context(), []string{"probe", "http://127.0.0.1:1/readyz"}, getenv, nil, io.Discard, io.Discard); err == nil {
		t.Error("probe of nothing succeeded")
	}
}

func TestMetricsOnTheirOwnPort(t *testing.T) {
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "METRICS_ADDR": "127.0.0.1:0"}
	base, logs, _ := startServer(t, env)
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("/metrics on the API port = %d, want 404 when METRICS_ADDR is set", res.StatusCode)
	}
	addr := metricsAddr(logs.String())
	res, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "healthcare_http_requests_total") {
		t.Errorf("/metrics on METRICS_ADDR = %d", res.StatusCode)
	}
}

// metricsAddr finds the METRICS_ADDR listener's address in the logs.
func metricsAddr(logs string) string {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"metrics listening"`) {
			var l struct{ Addr string }
			_ = json.Unmarshal([]byte(line), &l)
			return l.Addr
		}
	}
	return ""
}

func TestProfilerOnlyOnTheMetricsPort(t *testing.T) {
	status := func(url string) int {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, on := range []string{"true", "false"} {
		env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "METRICS_ADDR": "127.0.0.1:0", "PPROF": on}
		base, logs, stop := startServer(t, env)
		want := map[string]int{"true": 200, "false": 404}[on]
		if got := status("http://" + metricsAddr(logs.String()) + "/debug/pprof/"); got != want {
			t.Errorf("PPROF=%s: /debug/pprof/ on METRICS_ADDR = %d, want %d", on, got, want)
		}
		if got := status(base + "/debug/pprof/"); got != 404 {
			t.Errorf("PPROF=%s: /debug/pprof/ on the API port = %d, want 404", on, got)
		}
		_ = stop()
	}
	env := map[string]string{"PPROF": "true"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "PPROF:") {
		t.Errorf("PPROF without METRICS_ADDR: run = %v, want an error naming PPROF", err)
	}
}

// waitForStatus sends r until it gets status, for at most d.
func waitForStatus(r *http.Request, status int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.DefaultClient.Do(r); err == nil {
			res.Body.Close()
			if res.StatusCode == status {
				return true
			}
		}
	}
	return false
}
