package main

import (
	"encoding/hex"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clinicapi/healthcare"
)

// mapEnv is a getenv backed by m.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// defaultConfig is what parseConfig returns for an empty environment.
func defaultConfig() *config {
	return &config{
		Addr:            "127.0.0.1:8000",
		DatabaseURL:     "sqlite://healthcare.db",
		SecretKeySource: "SECRET_KEY",
		Debug:           false,
		AllowedHosts:    []string{"localhost", "127.0.0.1", "[::1]"},
		AccessLifetime:  5 * time.Minute,
		RefreshLifetime: 24 * time.Hour,
		AutoMigrate:     true,
		DBMaxConns:      16,
		UserCacheMaxAge: 5 * time.Second,
		ShutdownTimeout: 20 * time.Second,
		LogFormat:       "text",
		LogLevel:        "info",
		LoginLimit:      healthcare.Limit{Requests: 10, Window: 15 * time.Minute},
		AuthLimit:       healthcare.Limit{Requests: 60, Window: time.Minute},
		DoctorLimit:     healthcare.Limit{Requests: 60, Window: time.Minute},
		HashConcurrency: runtime.NumCPU(),
		HashWait:        2 * time.Second,
		RequestTimeout:  15 * time.Second,
		HTTP: httpLimits{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10},
		Console: consoleConfig{Idle: 15 * time.Minute, Lifetime: 8 * time.Hour},
	}
}

func mustParseConfig(t *testing.T, env map[string]string) *config {
	t.Helper()
	c, err := parseConfig(mapEnv(env))
	if err != nil {
		t.Fatalf("parseConfig(%v) = %v", env, err)
	}
	return c
}

func TestParseConfig(t *testing.T) {
	const pgURL = "postgres://app:secret@db.internal:5432/clinic?sslmode=disable"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want func(*config) // changes to defaultConfig
	}{
		{"defaults", nil, func(*config) {}},
		{
			"DATABASE_URL postgres",
			map[string]string{"DATABASE_URL": pgURL, "SECRET_KEY": "k"},
			func(c *config) { c.DatabaseURL, c.SecretKey = pgURL, []byte("k") },
		},
		{
			"DATABASE_URL postgresql",
			map[string]string{"DATABASE_URL": "postgresql://db/clinic", "SECRET_KEY": "k"},
			func(c *config) { c.DatabaseURL, c.SecretKey = "postgresql://db/clinic", []byte("k") },
		},
		{
			"DATABASE_URL sqlite needs no key",
			map[string]string{"DATABASE_URL": "sqlite:///var/lib/healthcare/app.db"},
			func(c *config) { c.DatabaseURL = "sqlite:///var/lib/healthcare/app.db" },
		},
		{
			"DATABASE_URL wins over DB_NAME",
			map[string]string{"DATABASE_URL": "sqlite://x.db", "DB_NAME": "clinic", "DB_PORT": "99999"},
			func(c *config) { c.DatabaseURL = "sqlite://x.db" },
		},
		{
			"DB_* variables",
			map[string]string{"DB_NAME": "clinic", "DB_USER": "app", "DB_PASSWORD": "secret", "DB_HOST": "db.internal", "DB_PORT": "6543", "SECRET_KEY": "k"},
			func(c *config) {
				c.DatabaseURL, c.SecretKey = "postgres://app:secret@db.internal:6543/clinic", []byte("k")
			},
		},
		{
			"DB_NAME alone",
			map[string]string{"DB_NAME": "clinic", "SECRET_KEY": "k"},
			func(c *config) { c.DatabaseURL, c.SecretKey = "postgres://localhost:5432/clinic", []byte("k") },
		},
		{
			"DB_USER without DB_PASSWORD",
			map[string]string{"DB_NAME": "clinic", "DB_USER": "app", "SECRET_KEY": "k"},
			func(c *config) { c.DatabaseURL, c.SecretKey = "postgres://app@localhost:5432/clinic", []byte("k") },
		},
		{
			"DB_HOST IPv6",
			map[string]string{"DB_NAME": "clinic", "DB_HOST": "::1", "SECRET_KEY": "k"},
			func(c *config) { c.DatabaseURL, c.SecretKey = "postgres://[::1]:5432/clinic", []byte("k") },
		},
		{
			"DB_PASSWORD with special characters",
			map[string]string{"DB_NAME": "clinic", "DB_USER": "app user", "DB_PASSWORD": "p@ss:w/rd#?% &=", "DB_HOST": "db", "SECRET_KEY": "k"},
			func(c *config) {
				c.DatabaseURL = "postgres://app%20user:p%40ss%3Aw%2Frd%23%3F%25%20&=@db:5432/clinic"
				c.SecretKey = []byte("k")
			},
		},
		{
			"SECRET_KEY",
			map[string]string{"SECRET_KEY": "from-secret-key"},
			func(c *config) { c.SecretKey = []byte("from-secret-key") },
		},
		{
			"JWT_SIGNING_KEY wins over SECRET_KEY",
			map[string]string{"SECRET_KEY": "from-secret-key", "JWT_SIGNING_KEY": "from-jwt-key"},
			func(c *config) { c.SecretKey, c.SecretKeySource = []byte("from-jwt-key"), "JWT_SIGNING_KEY" },
		},
		{
			"JWT_SIGNING_KEY is enough for PostgreSQL",
			map[string]string{"DATABASE_URL": pgURL, "JWT_SIGNING_KEY": "from-jwt-key"},
			func(c *config) {
				c.DatabaseURL, c.SecretKey, c.SecretKeySource = pgURL, []byte("from-jwt-key"), "JWT_SIGNING_KEY"
			},
		},
		{
			"durations as seconds",
			map[string]string{"ACCESS_TOKEN_LIFETIME": "300", "REFRESH_TOKEN_LIFETIME": "86400", "SHUTDOWN_TIMEOUT": "5"},
			func(c *config) {
				c.AccessLifetime, c.RefreshLifetime, c.ShutdownTimeout = 300*time.Second, 24*time.Hour, 5*time.Second
			},
		},
		{
			"durations in Go syntax",
			map[string]string{"ACCESS_TOKEN_LIFETIME": "15m", "REFRESH_TOKEN_LIFETIME": "168h", "SHUTDOWN_TIMEOUT": "1m30s"},
			func(c *config) {
				c.AccessLifetime, c.RefreshLifetime, c.ShutdownTimeout = 15*time.Minute, 168*time.Hour, 90*time.Second
			},
		},
		{
			"booleans",
			map[string]string{"DEBUG": "true", "AUTO_MIGRATE": "false"},
			func(c *config) { c.Debug, c.AutoMigrate = true, false },
		},
		{
			"booleans in other spellings",
			map[string]string{"DEBUG": " Yes ", "AUTO_MIGRATE": "0"},
			func(c *config) { c.Debug, c.AutoMigrate = true, false },
		},
		{
			"booleans on and off",
			map[string]string{"DEBUG": "ON", "AUTO_MIGRATE": "off"},
			func(c *config) { c.Debug, c.AutoMigrate = true, false },
		},
		{
			"ALLOWED_HOSTS trimmed",
			map[string]string{"ALLOWED_HOSTS": " api.example.com, ,www.example.com ,"},
			func(c *config) { c.AllowedHosts = []string{"api.example.com", "www.example.com"} },
		},
		{
			"ADDR any interface",
			map[string]string{"ADDR": ":8080"},
			func(c *config) { c.Addr = ":8080" },
		},
		{
			"ADDR trimmed",
			map[string]string{"ADDR": " 0.0.0.0:80 "},
			func(c *config) { c.Addr = "0.0.0.0:80" },
		},
		{
			"limits and proxies",
			map[string]string{"THROTTLE_LOGIN_FAILURES": "5/1h", "THROTTLE_AUTH": "off", "THROTTLE_DOCTOR_WRITES": "0",
				"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7"},
			func(c *config) {
				c.LoginLimit = healthcare.Limit{Requests: 5, Window: time.Hour}
				c.AuthLimit, c.DoctorLimit = healthcare.Limit{}, healthcare.Limit{}
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
			},
		},
		{
			"console",
			map[string]string{"CONSOLE_IDLE_TIMEOUT": "5m", "CONSOLE_SESSION_LIFETIME": "1h", "CONSOLE_SECURE_COOKIES": "true"},
			func(c *config) {
				c.Console = consoleConfig{Idle: 5 * time.Minute, Lifetime: time.Hour, SecureCookies: true}
			},
		},
		{
			"logging and pool",
			map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": "debug", "DB_MAX_CONNS": "4"},
			func(c *config) { c.LogFormat, c.LogLevel, c.DBMaxConns = "json", "debug", 4 },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := defaultConfig()
			tc.want(want)
			got := mustParseConfig(t, tc.env)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
				t.Errorf("parseConfig(%v) mismatch (-want +got):\n%s", tc.env, diff)
			}
		})
	}
}

func TestParseConfigPasswordRoundTrip(t *testing.T) {
	const pw = "p@ss:w/rd#?% &=é"
	c := mustParseConfig(t, map[string]string{"DB_NAME": "clinic", "DB_USER": "app", "DB_PASSWORD": pw, "SECRET_KEY": "k"})
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		t.Fatalf("url.Parse(%q) = %v", c.DatabaseURL, err)
	}
	got, _ := u.User.Password()
	if got != pw {
		t.Errorf("password of %q = %q, want %q", c.DatabaseURL, got, pw)
	}
	if diff := cmp.Diff([]string{"app", "localhost:5432", "/clinic"}, []string{u.User.Username(), u.Host, u.Path}); diff != "" {
		t.Errorf("url.Parse(%q) mismatch (-want +got):\n%s", c.DatabaseURL, diff)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantVar string // the error text starts with wantVar + ":"
	}{
		{"DEBUG maybe", map[string]string{"DEBUG": "maybe"}, "DEBUG"},
		{"THROTTLE_AUTH no window", map[string]string{"THROTTLE_AUTH": "60"}, "THROTTLE_AUTH"},
		{"CORS_ALLOWED_ORIGINS path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example/x"}, "CORS_ALLOWED_ORIGINS"},
		{"TLS_CERT_FILE alone", map[string]string{"TLS_CERT_FILE": "/tmp/c.pem"}, "TLS_CERT_FILE"},
		{"HTTP_READ_HEADER_TIMEOUT", map[string]string{"HTTP_READ_HEADER_TIMEOUT": "soon"}, "HTTP_READ_HEADER_TIMEOUT"},
		{"THROTTLE_LOGIN_FAILURES tiny window", map[string]string{"THROTTLE_LOGIN_FAILURES": "5/1ms"}, "THROTTLE_LOGIN_FAILURES"},
		{"TRUSTED_PROXIES garbage", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, "TRUSTED_PROXIES"},
		{"AUTO_MIGRATE 2", map[string]string{"AUTO_MIGRATE": "2"}, "AUTO_MIGRATE"},
		{"ACCESS_TOKEN_LIFETIME abc", map[string]string{"ACCESS_TOKEN_LIFETIME": "abc"}, "ACCESS_TOKEN_LIFETIME"},
		{"ACCESS_TOKEN_LIFETIME 0", map[string]string{"ACCESS_TOKEN_LIFETIME": "0"}, "ACCESS_TOKEN_LIFETIME"},
		{"ACCESS_TOKEN_LIFETIME negative", map[string]string{"ACCESS_TOKEN_LIFETIME": "-5m"}, "ACCESS_TOKEN_LIFETIME"},
		{"ACCESS_TOKEN_LIFETIME fractional seconds", map[string]string{"ACCESS_TOKEN_LIFETIME": "1.5"}, "ACCESS_TOKEN_LIFETIME"},
		{"REFRESH_TOKEN_LIFETIME abc", map[string]string{"REFRESH_TOKEN_LIFETIME": "1 day"}, "REFRESH_TOKEN_LIFETIME"},
		{"SHUTDOWN_TIMEOUT abc", map[string]string{"SHUTDOWN_TIMEOUT": "soon"}, "SHUTDOWN_TIMEOUT"},
		{"DB_MAX_CONNS 0", map[string]string{"DB_MAX_CONNS": "0"}, "DB_MAX_CONNS"},
		{"DB_MAX_CONNS abc", map[string]string{"DB_MAX_CONNS": "many"}, "DB_MAX_CONNS"},
		{"DB_PORT 99999", map[string]string{"DB_NAME": "clinic", "DB_PORT": "99999", "SECRET_KEY": "k"}, "DB_PORT"},
		{"DB_PORT 0", map[string]string{"DB_NAME": "clinic", "DB_PORT": "0", "SECRET_KEY": "k"}, "DB_PORT"},
		{"DB_PORT abc", map[string]string{"DB_NAME": "clinic", "DB_PORT": "pg", "SECRET_KEY": "k"}, "DB_PORT"},
		{"DATABASE_URL mysql", map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"DATABASE_URL sqlite without path", map[string]string{"DATABASE_URL": "sqlite://"}, "DATABASE_URL"},
		{"DATABASE_URL bare path", map[string]string{"DATABASE_URL": "healthcare.db"}, "DATABASE_URL"},
		{"DATABASE_URL bad escape", map[string]string{"DATABASE_URL": "postgres://app:%zz@db/clinic", "SECRET_KEY": "k"}, "DATABASE_URL"},
		{"CONSOLE_SESSION_LIFETIME over a day", map[string]string{"CONSOLE_SESSION_LIFETIME": "25h"}, "CONSOLE_SESSION_LIFETIME"},
		{"CONSOLE_IDLE_TIMEOUT over the lifetime", map[string]string{"CONSOLE_IDLE_TIMEOUT": "9h"}, "CONSOLE_IDLE_TIMEOUT"},
		{"CONSOLE_SECURE_COOKIES maybe", map[string]string{"CONSOLE_SECURE_COOKIES": "maybe"}, "CONSOLE_SECURE_COOKIES"},
		{"LOG_FORMAT xml", map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{"LOG_LEVEL verbose", map[string]string{"LOG_LEVEL": "verbose"}, "LOG_LEVEL"},
		{"ADDR nonsense", map[string]string{"ADDR": "nonsense"}, "ADDR"},
		{"ADDR too many colons", map[string]string{"ADDR": "1:2:3"}, "ADDR"},
		{"ALLOWED_HOSTS only commas", map[string]string{"ALLOWED_HOSTS": " , ,"}, "ALLOWED_HOSTS"},
		{"SECRET_KEY required for DATABASE_URL postgres", map[string]string{"DATABASE_URL": "postgres://db/clinic"}, "SECRET_KEY"},
		{"SECRET_KEY required for DB_NAME", map[string]string{"DB_NAME": "clinic"}, "SECRET_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(mapEnv(tc.env))
			if err == nil {
				t.Fatalf("parseConfig(%v) = %+v, nil; want an error about %s", tc.env, c, tc.wantVar)
			}
			if !strings.HasPrefix(err.Error(), tc.wantVar+":") {
				t.Errorf("parseConfig(%v) error = %q, want it to start with %q", tc.env, err, tc.wantVar+":")
			}
		})
	}
}

func TestParseConfigErrorHidesPassword(t *testing.T) {
	for _, v := range []string{"mysql://app:hunter2@db/clinic", "postgres://app:hunter2%zz@db/clinic"} {
		_, err := parseConfig(mapEnv(map[string]string{"DATABASE_URL": v, "SECRET_KEY": "k"}))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseConfig(DATABASE_URL=%q) error = %v, want an error without the password", v, err)
		}
	}
}

func TestParseConfigHugeSeconds(t *testing.T) {
	env := map[string]string{"ACCESS_TOKEN_LIFETIME": "18446744074"}
	c, err := parseConfig(mapEnv(env))
	if err == nil {
		t.Errorf("parseConfig(%v) AccessLifetime = %v, nil; want an ACCESS_TOKEN_LIFETIME error", env, c.AccessLifetime)
	}
}

func TestParseConfigSignedPort(t *testing.T) {
	env := map[string]string{"DB_NAME": "clinic", "DB_PORT": "+5432", "SECRET_KEY": "k"}
	c, err := parseConfig(mapEnv(env))
	if err == nil && c.DatabaseURL != "postgres://localhost:5432/clinic" {
		t.Errorf("parseConfig(%v) DatabaseURL = %q, want postgres://localhost:5432/clinic or a DB_PORT error", env, c.DatabaseURL)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	writeFile(t, path, `# Settings for local development.
   # an indented comment

PLAIN=value
export EXPORTED=yes
DOUBLE="quoted value # not a comment"
SINGLE='single quoted'
SPACED = spaced value   
INLINE=value # trailing comment
HASH_IN_VALUE=abc#def
EMPTY=
EMPTY_QUOTES=""
URL=postgres://u:p@h/db?sslmode=disable
EQUALS=a=b=c
FROM_ENV=file value
EMPTY_IN_ENV=file value
`)
	envVars := map[string]string{"FROM_ENV": "env value", "ONLY_ENV": "env only"}
	getenv, err := loadEnv(mapEnv(envVars), path)
	if err != nil {
		t.Fatalf("loadEnv(%s) = %v", path, err)
	}
	for _, tc := range []struct{ key, want string }{
		{"PLAIN", "value"},
		{"EXPORTED", "yes"},
		{"DOUBLE", "quoted value # not a comment"},
		{"SINGLE", "single quoted"},
		{"SPACED", "spaced value"},
		{"INLINE", "value"},
		{"HASH_IN_VALUE", "abc#def"},
		{"EMPTY", ""},
		{"EMPTY_QUOTES", ""},
		{"URL", "postgres://u:p@h/db?sslmode=disable"},
		{"EQUALS", "a=b=c"},
		{"FROM_ENV", "env value"},
		{"EMPTY_IN_ENV", "file value"},
		{"ONLY_ENV", "env only"},
		{"MISSING", ""},
		{"# Settings for local development.", ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if got := getenv(tc.key); got != tc.want {
				t.Errorf("getenv(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestLoadEnvFeedsParseConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	writeFile(t, path, "export DEBUG=true\nACCESS_TOKEN_LIFETIME=\"600\"\nADDR=127.0.0.1:9000\n")
	getenv, err := loadEnv(mapEnv(map[string]string{"ADDR": "127.0.0.1:7000"}), path)
	if err != nil {
		t.Fatalf("loadEnv(%s) = %v", path, err)
	}
	got, err := parseConfig(getenv)
	if err != nil {
		t.Fatalf("parseConfig(loaded env) = %v", err)
	}
	want := defaultConfig()
	want.Debug, want.AccessLifetime, want.Addr = true, 10*time.Minute, "127.0.0.1:7000"
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("parseConfig(loaded env) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadEnvMissingFile(t *testing.T) {
	getenv, err := loadEnv(mapEnv(map[string]string{"ADDR": ":1"}), filepath.Join(t.TempDir(), "no.env"))
	if err != nil {
		t.Fatalf("loadEnv(missing file) = %v, want nil", err)
	}
	if got := getenv("ADDR"); got != ":1" {
		t.Errorf("getenv(ADDR) = %q, want %q", got, ":1")
	}
}

func TestLoadEnvErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		content  string
		wantText string
	}{
		{"line without =", "GOOD=1\nNOT A SETTING\n", "line 2"},
		{"export without =", "# header\n\nexport FOO\n", "line 3"},
		{"line too long", "BIG=" + strings.Repeat("x", 1<<17) + "\n", ".env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			writeFile(t, path, tc.content)
			_, err := loadEnv(mapEnv(nil), path)
			if err == nil {
				t.Fatalf("loadEnv(%.40q) = nil error, want one", tc.content)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("loadEnv(%.40q) error = %q, want it to contain %q", tc.content, err, tc.wantText)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		if _, err := loadEnv(mapEnv(nil), t.TempDir()); err == nil {
			t.Errorf("loadEnv(a directory) = nil error, want one")
		}
	})
}

func TestLoadEnvQuotedValueWithComment(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	writeFile(t, path, "SECRET_KEY=\"abc def\" # generated 2025-01-01\n")
	getenv, err := loadEnv(mapEnv(nil), path)
	if err != nil {
		t.Fatalf("loadEnv(%s) = %v", path, err)
	}
	if got, want := getenv("SECRET_KEY"), "abc def"; got != want {
		t.Errorf("getenv(SECRET_KEY) = %q, want %q", got, want)
	}
}

// sqliteConfig is a config for a database file under a fresh directory.
func sqliteConfig(t *testing.T) (*config, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "data", "app.db")
	return &config{DatabaseURL: "sqlite://" + db + "?_pragma=busy_timeout(5000)"}, db
}

func TestEnsureSecretKey(t *testing.T) {
	c, db := sqliteConfig(t)
	keyPath := db + ".secret_key"

	generated, err := ensureSecretKey(c)
	if err != nil || !generated {
		t.Fatalf("ensureSecretKey() = %v, %v; want true, nil", generated, err)
	}
	info, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("stat key file: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want %v", got, os.FileMode(0o600))
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(b))
	if _, err := hex.DecodeString(key); err != nil || len(key) != 64 {
		t.Errorf("key file holds %q, want 64 hex digits", key)
	}
	if diff := cmp.Diff([]string{key, keyPath}, []string{string(c.SecretKey), c.SecretKeySource}); diff != "" {
		t.Errorf("ensureSecretKey() config mismatch (-want +got):\n%s", diff)
	}

	// A restart reads the same key back.
	again := &config{DatabaseURL: c.DatabaseURL}
	generated, err = ensureSecretKey(again)
	if err != nil || generated {
		t.Fatalf("ensureSecretKey() second time = %v, %v; want false, nil", generated, err)
	}
	if diff := cmp.Diff([]string{key, keyPath}, []string{string(again.SecretKey), again.SecretKeySource}); diff != "" {
		t.Errorf("ensureSecretKey() second time config mismatch (-want +got):\n%s", diff)
	}
}

func TestEnsureSecretKeyDifferentDatabases(t *testing.T) {
	a, _ := sqliteConfig(t)
	b, _ := sqliteConfig(t)
	for _, c := range []*config{a, b} {
		if _, err := ensureSecretKey(c); err != nil {
			t.Fatalf("ensureSecretKey(%s) = %v", c.DatabaseURL, err)
		}
	}
	if string(a.SecretKey) == string(b.SecretKey) {
		t.Errorf("two databases got the same generated key %q", a.SecretKey)
	}
}

func TestEnsureSecretKeyNoop(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		c    config
	}{
		{"configured key with sqlite", config{DatabaseURL: "sqlite://" + filepath.Join(dir, "a.db"), SecretKey: []byte("configured"), SecretKeySource: "SECRET_KEY"}},
		{"postgres", config{DatabaseURL: "postgres://db/" + filepath.Join(dir, "b.db"), SecretKeySource: "SECRET_KEY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			generated, err := ensureSecretKey(&c)
			if err != nil || generated {
				t.Fatalf("ensureSecretKey() = %v, %v; want false, nil", generated, err)
			}
			if diff := cmp.Diff(tc.c, c); diff != "" {
				t.Errorf("ensureSecretKey() changed the config (-want +got):\n%s", diff)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("ensureSecretKey() wrote %v, want no files", entries)
			}
		})
	}
}

func TestParseConfigSocketHost(t *testing.T) {
	env := map[string]string{"DB_NAME": "clinic", "DB_USER": "app", "DB_HOST": "/var/run/postgresql", "SECRET_KEY": "k"}
	c, err := parseConfig(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres://app@/clinic?host=%2Fvar%2Frun%2Fpostgresql&port=5432"
	if c.DatabaseURL != want {
		t.Errorf("parseConfig(%v) DatabaseURL = %q, want %q", env, c.DatabaseURL, want)
	}
}

func TestConfigProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want []string // substrings, one per expected problem
	}{
		{"safe", map[string]string{"SECRET_KEY": strings.Repeat("k", 32)}, nil},
		{"generated key is fine", map[string]string{}, nil},
		{"short key", map[string]string{"SECRET_KEY": "short"}, []string{"5 bytes"}},
		{"the Django design's example", map[string]string{"SECRET_KEY": "your-super-secret-key"}, []string{"published example", "21 bytes"}},
		{"django-insecure prefix", map[string]string{"SECRET_KEY": "django-insecure-" + strings.Repeat("x", 40)}, []string{"published example"}},
		{"any host", map[string]string{"SECRET_KEY": strings.Repeat("k", 32), "ALLOWED_HOSTS": "*"}, []string{"ALLOWED_HOSTS"}},
		{"short fallback", map[string]string{"SECRET_KEY": strings.Repeat("k", 32), "SECRET_KEY_FALLBACKS": "old"}, []string{"SECRET_KEY_FALLBACKS"}},
		{"missing TLS file", map[string]string{"SECRET_KEY": strings.Repeat("k", 32), "TLS_CERT_FILE": "/nonexistent/c.pem", "TLS_KEY_FILE": "/nonexistent/k.pem"}, []string{"TLS_CERT_FILE", "TLS_KEY_FILE"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParseConfig(t, tt.env).problems()
			if len(got) != len(tt.want) {
				t.Fatalf("problems() = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}
