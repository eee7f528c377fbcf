// Package sqlstoretest makes throwaway databases for tests: a PostgreSQL
// database cloned from a migrated template, and a SQLite file.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore"
)

// DefaultPostgresURL is used when TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

func adminURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return DefaultPostgresURL
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// withDatabase returns the admin URL with its path replaced by name.
func withDatabase(name string) string {
	u, err := url.Parse(adminURL())
	if err != nil {
		panic(fmt.Sprintf("TEST_DATABASE_URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func admin(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("pgx", adminURL())
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// makeTemplate creates and migrates the template database, once per test
// binary. Clones of a template are far faster than migrating every time.
func makeTemplate() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adm, err := admin(ctx)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL at %s: %w", adminURL(), err)
	}
	defer adm.Close()
	name := randomName("hc_template_")
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	db, err := sqlstore.Open(ctx, withDatabase(name), sqlstore.Options{MaxOpenConns: 2})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return "", err
	}
	return name, nil
}

// Main runs the tests of a package, then each of after (to stop what the
// package's tests started), then drops the template database; call it
// from TestMain.
func Main(m *testing.M, after ...func()) {
	code := m.Run()
	for _, fn := range after {
		fn()
	}
	if templateName != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if adm, err := admin(ctx); err == nil {
			_, _ = adm.ExecContext(ctx, "DROP DATABASE IF EXISTS "+templateName+" WITH (FORCE)")
			_ = adm.Close()
		}
		cancel()
	}
	os.Exit(code)
}

// PostgresURL creates a fresh, migrated PostgreSQL database for this test,
// dropped when it ends, and returns its URL. Without a reachable server
// the test is skipped, or fails when CI is set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = makeTemplate() })
	if templateErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is required in CI: %v", templateErr)
		}
		t.Skipf("skipping PostgreSQL tests: %v (set TEST_DATABASE_URL)", templateErr)
	}
	ctx := context.Background()
	adm, err := admin(ctx)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer adm.Close()
	name := randomName("hc_test_")
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+templateName); err != nil {
		t.Fatalf("clone template: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, name) })
	return withDatabase(name)
}

// EmptyPostgresURL creates a fresh PostgreSQL database with no tables, for
// tests of migrations themselves, and returns its URL.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	PostgresURL(t) // skips or fails as it does when there is no server
	ctx := context.Background()
	adm, err := admin(ctx)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer adm.Close()
	name := randomName("hc_empty_")
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, name) })
	return withDatabase(name)
}

func dropDatabase(t testing.TB, name string) {
	adm, err := admin(context.Background())
	if err != nil {
		t.Errorf("drop test database: %v", err)
		return
	}
	defer adm.Close()
	if _, err := adm.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("drop test database: %v", err)
	}
}

// SQLiteURL returns the URL of a new database file in a temporary folder.
// A file, not :memory:, where each pooled connection would see its own.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
}

// Raw opens a plain database/sql handle on url, for tests that must do what
// the store never does, such as tampering with the audit trail.
func Raw(t testing.TB, url string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		driver, dsn = "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open raw database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Open opens url, migrates it, and closes it when the test ends.
func Open(t testing.TB, url string) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, url, sqlstore.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

// Engines are the engines every store and HTTP test runs on.
var Engines = []string{"postgres", "sqlite"}

// URL returns a fresh database of the engine for this test.
func URL(t testing.TB, engine string) string {
	t.Helper()
	if engine == "postgres" {
		return PostgresURL(t)
	}
	return SQLiteURL(t)
}

// ForEachEngine runs fn as a subtest on a fresh database of each engine.
func ForEachEngine(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, URL(t, engine)))
		})
	}
}
