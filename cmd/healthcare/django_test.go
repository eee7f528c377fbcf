package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// The Django design itself, started once per test binary by its own
// serve.sh, on a database of its own; stopped and dropped by TestMain.
// djangoKey is the SECRET_KEY of both servers: the cut-over keeps it.
const djangoKey = "importer-cut-over-test-key-0123456789abcdef"

// djangoServe finds serve.sh: DJANGO_REFERENCE, else the shared folder
// beside the repository (this package is two levels down), else where
// this machine keeps it.
func djangoServe() string {
	for _, dir := range []string{os.Getenv("DJANGO_REFERENCE"), "../../../shared/django-reference", "/work/shared/django-reference"} {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "serve.sh")); err == nil {
			return filepath.Join(dir, "serve.sh")
		}
	}
	return ""
}

var (
	djangoOnce sync.Once
	django     struct {
		base, dbName, pid string
		err               error
		skip              string
	}
)

func djangoAdminURL(db string) string {
	return "postgres://postgres@127.0.0.1:5432/" + db + "?sslmode=disable"
}

// startDjango starts the design's server, or says why it cannot: locally a
// missing Python stack skips, under CI it fails (serve.sh installs it).
func startDjango(t *testing.T) (base, sourceURL string) {
	t.Helper()
	sqlstoretest.PostgresURL(t) // skips or fails as the other PostgreSQL tests do
	djangoOnce.Do(func() {
		serve := djangoServe()
		if serve == "" {
			django.skip = "the Django design's serve.sh was not found (set DJANGO_REFERENCE)"
			return
		}
		check := exec.Command("/usr/bin/python3", "-c", "import django, rest_framework, rest_framework_simplejwt, environ, psycopg2")
		if err := check.Run(); err != nil && os.Getenv("CI") == "" {
			django.skip = "the Django design's Python packages are not installed (serve.sh installs them under CI)"
			return
		}
		port, err := freePort()
		if err != nil {
			django.err = err
			return
		}
		var b [4]byte
		_, _ = rand.Read(b[:])
		django.dbName = "importer_django_" + hex.EncodeToString(b[:])
		cmd := exec.Command("bash", serve, strconv.Itoa(port), django.dbName)
		cmd.Env = append(os.Environ(), "SECRET_KEY="+djangoKey)
		out, err := cmd.Output()
		if err != nil {
			django.err = fmt.Errorf("serve.sh: %v: %s", err, out)
			return
		}
		django.pid = strings.TrimSpace(string(out))
		django.base = fmt.Sprintf("http://127.0.0.1:%d", port)
		// serve.sh waits 10 s for the workers; a loaded machine takes longer.
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			res, err := http.Get(django.base + "/api/doctors/")
			if err == nil {
				_ = res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				django.err = fmt.Errorf("the Django design did not answer on %s: %v", django.base, err)
				return
			}
		}
	})
	switch {
	case django.skip != "" && os.Getenv("CI") != "":
		t.Fatalf("the Django design is required in CI: %s", django.skip)
	case django.skip != "":
		t.Skip(django.skip)
	case django.err != nil:
		t.Fatalf("start the Django design: %v", django.err)
	}
	return django.base, djangoAdminURL(django.dbName)
}

// freePort finds a port of the range these tests may use.
func freePort() (int, error) {
	for port := 8240; port < 8250; port++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port in 8240-8249")
}

// stopDjango stops the server (gracefully: SIGTERM to gunicorn's master)
// and drops its database.
func stopDjango() {
	if django.pid != "" {
		if pid, err := strconv.Atoi(django.pid); err == nil {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Signal(syscall.SIGTERM)
				for i := 0; i < 100 && p.Signal(syscall.Signal(0)) == nil; i++ {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
	}
	if django.dbName != "" {
		if db, err := sql.Open("pgx", djangoAdminURL("postgres")); err == nil {
			_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+django.dbName+" WITH (FORCE)")
			_ = db.Close()
		}
	}
}
