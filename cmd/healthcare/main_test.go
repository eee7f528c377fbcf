package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) { sqlstoretest.Main(m, stopDjango) }

// syncBuffer collects what the server logs while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer calls run with env and returns the base URL once /healthz
// answers, and a function that stops the server and returns run's error.
func startServer(t *testing.T, env map[string]string) (string, *syncBuffer, func() error) {
	t.Helper()
	env["ADDR"] = "127.0.0.1:0"
	env["LOG_FORMAT"] = "json"
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, strings.NewReader(""), io.Discard, logs) }()
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("server did not stop")
		}
	})
	t.Cleanup(func() { _ = stop() })

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited: %v\nlogs:\n%s", err, logs.String())
		default:
		}
		if addr := listenAddr(logs.String()); addr != "" {
			base := "http://" + addr
			if res, err := http.Get(base + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return base, logs, stop
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server not ready; logs:\n%s", logs.String())
	return "", nil, nil
}

// listenAddr finds the address in the "listening" log line.
func listenAddr(logs string) string {
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			return line.Addr
		}
	}
	return ""
}

type client struct {
	t    *testing.T
	base string
}

func (c client) call(method, path, token string, body any, want int) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: body is not a JSON object: %s", method, path, raw)
		}
	}
	return out
}

// TestEndToEnd walks the README's flow against the real binary's run, on
// each engine, then restarts it to show that tokens and data survive.
func TestEndToEnd(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": sqlstoretest.URL(t, engine)}
			if engine == "postgres" {
				env["SECRET_KEY"] = "an-end-to-end-test-key-of-32-bytes-or-more"
			}
			base, logs, stop := startServer(t, env)
			c := client{t: t, base: base}
			c.call("GET", "/readyz", "", nil, 200)
			c.call("POST", "/api/auth/register/", "", map[string]any{"username": "ab", "email": "a@b.com", "password": "StrongPass123!"}, 201)
			tokens := c.call("POST", "/api/auth/login/", "", map[string]any{"username": "ab", "password": "StrongPass123!"}, 200)
			access := tokens["access"].(string)
			p := c.call("POST", "/api/patients/", access, map[string]any{"first_name": "Jon", "last_name": "Doe",
				"email": "jon@example.com", "dob": "1990-01-01", "notes": "N/A"}, 201)
			d := c.call("POST", "/api/doctors/", access, map[string]any{"first_name": "Alice", "last_name": "Smith",
				"email": "alice@clinic.com", "specialization": "Cardiology"}, 201)
			a := c.call("POST", "/api/mappings/", access, map[string]any{"patient": p["id"], "doctor": d["id"]}, 201)
			list := c.call("GET", "/api/patients/", access, nil, 200)
			if list["count"].(float64) != 1 {
				t.Errorf("patients = %v", list)
			}
			if err := stop(); err != nil {
				t.Fatalf("run returned %v after shutdown", err)
			}
			if strings.Contains(logs.String(), "jon@example.com") || strings.Contains(logs.String(), "StrongPass123!") {
				t.Errorf("logs hold patient data or a password:\n%s", logs.String())
			}

			// Same database and key: the old access token still works.
			base, _, _ = startServer(t, env)
			c = client{t: t, base: base}
			me := c.call("GET", "/api/auth/me/", access, nil, 200)
			if me["username"] != "ab" {
				t.Errorf("me = %v", me)
			}
			c.call("DELETE", fmt.Sprintf("/api/mappings/%v/", a["id"]), access, nil, 204)
			c.call("POST", "/api/auth/refresh/", "", map[string]any{"refresh": tokens["refresh"]}, 200)
		})
	}
}

func TestMigrateCommand(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			if engine == "postgres" {
				// The test database is cloned already migrated; start empty.
				url = sqlstoretest.EmptyPostgresURL(t)
			}
			env := map[string]string{"DATABASE_URL": url, "SECRET_KEY": "k"}
			getenv := func(k string) string { return env[k] }
			var out bytes.Buffer
			if err := run(context.Background(), []string{"migrate", "--status"}, getenv, nil, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "pending") {
				t.Errorf("status before migrate = %q, want pending", out.String())
			}
			out.Reset()
			if err := run(context.Background(), []string{"migrate"}, getenv, nil, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(context.Background(), []string{"migrate", "--status"}, getenv, nil, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "pending") || !strings.Contains(out.String(), "applied") {
				t.Errorf("status after migrate = %q", out.String())
			}
		})
	}
}

func TestBadConfigStopsStartup(t *testing.T) {
	env := map[string]string{"DEBUG": "maybe"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "DEBUG:") {
		t.Errorf("run with DEBUG=maybe = %v, want an error naming DEBUG", err)
	}
	err = run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, io.Discard, io.Discard)
	if err == nil {
		t.Error("unknown command accepted")
	}
}

// GOGC set in the environment is the runtime's to apply; otherwise the
// server's default holds.
func TestGCPercentDefault(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	setGCPercent(func(string) (string, bool) { return "", false })
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, defaultGCPercent)
	}
	setGCPercent(func(string) (string, bool) { return "50", true })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
}
