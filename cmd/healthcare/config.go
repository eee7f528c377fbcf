package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
)

// config is everything the service reads from its environment.
type config struct {
	Addr            string
	DatabaseURL     string
	SecretKey       []byte
	SecretKeySource string // where SecretKey came from, for the start-up log
	// SecretKeyFallbacks still verify tokens but never sign (key rotation).
	SecretKeyFallbacks [][]byte
	Debug              bool
	AllowedHosts       []string
	AccessLifetime     time.Duration
	RefreshLifetime    time.Duration
	AutoMigrate        bool
	DBMaxConns         int
	// UserCacheMaxAge bounds how long an account is reused to authenticate
	// tokens without reading it (-1: read on every request).
	UserCacheMaxAge time.Duration
	ShutdownTimeout time.Duration
	LogFormat       string
	LogLevel        string
	TrustedProxies  []netip.Prefix
	LoginLimit      healthcare.Limit
	AuthLimit       healthcare.Limit
	DoctorLimit     healthcare.Limit
	HashConcurrency int
	HashWait        time.Duration
	CORSOrigins     []string
	TLSCertFile     string
	TLSKeyFile      string
	RequestTimeout  time.Duration
	ShutdownDelay   time.Duration
	MetricsAddr     string
	Pprof           bool
	HTTP            httpLimits
	Console         consoleConfig
}

// consoleConfig is the staff console's: when its sessions end, and
// whether its cookies are Secure on a plain connection (behind a proxy
// that terminates TLS).
type consoleConfig struct {
	Idle          time.Duration
	Lifetime      time.Duration
	SecureCookies bool
}

// httpLimits bound what one connection may cost the server.
type httpLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

func (c *config) sqlite() bool { return strings.HasPrefix(c.DatabaseURL, "sqlite://") }

// loadEnv returns a getenv that reads the real environment first and then
// the .env file at path, if there is one; the file never overrides.
func loadEnv(getenv func(string) string, path string) (func(string) string, error) {
	file := map[string]string{}
	f, err := os.Open(path) // #nosec G304 -- the operator's own .env file
	if errors.Is(err, fs.ErrNotExist) {
		return getenv, nil
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s line %d: want KEY=VALUE", path, n)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') {
			// A quoted value ends at its closing quote; a comment may follow.
			if end := strings.IndexByte(value[1:], value[0]); end >= 0 {
				value = value[1 : end+1]
			}
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		file[strings.TrimSpace(key)] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}, nil
}

// parseConfig reads and checks the configuration; an error names the
// variable at fault.
func parseConfig(getenv func(string) string) (*config, error) {
	e := &env{getenv: getenv}
	c := &config{
		Addr:            e.addr("ADDR", "127.0.0.1:8000"),
		DatabaseURL:     e.databaseURL(),
		Debug:           e.bool("DEBUG", false),
		AllowedHosts:    splitList(e.str("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")),
		AccessLifetime:  e.duration("ACCESS_TOKEN_LIFETIME", 5*time.Minute),
		RefreshLifetime: e.duration("REFRESH_TOKEN_LIFETIME", 24*time.Hour),
		AutoMigrate:     e.bool("AUTO_MIGRATE", true),
		DBMaxConns:      e.int("DB_MAX_CONNS", 16),
		UserCacheMaxAge: e.durationOrOff("USER_CACHE_MAX_AGE", sqlstore.DefaultUserCacheMaxAge),
		ShutdownTimeout: e.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		ShutdownDelay:   e.durationOrZero("SHUTDOWN_DELAY"),
		LogFormat:       e.oneOf("LOG_FORMAT", "text", "json"),
		LogLevel:        e.oneOf("LOG_LEVEL", "info", "debug", "warn", "error"),
		TrustedProxies:  e.prefixes("TRUSTED_PROXIES"),
		LoginLimit:      e.limit("THROTTLE_LOGIN_FAILURES", healthcare.Limit{Requests: 10, Window: 15 * time.Minute}),
		AuthLimit:       e.limit("THROTTLE_AUTH", healthcare.Limit{Requests: 60, Window: time.Minute}),
		DoctorLimit:     e.limit("THROTTLE_DOCTOR_WRITES", healthcare.Limit{Requests: 60, Window: time.Minute}),
		HashConcurrency: e.int("PASSWORD_HASH_CONCURRENCY", runtime.NumCPU()),
		HashWait:        e.duration("PASSWORD_HASH_WAIT", 2*time.Second),
		CORSOrigins:     e.origins("CORS_ALLOWED_ORIGINS"),
		TLSCertFile:     getenv("TLS_CERT_FILE"),
		TLSKeyFile:      getenv("TLS_KEY_FILE"),
		RequestTimeout:  e.duration("REQUEST_TIMEOUT", 15*time.Second),
		MetricsAddr:     e.addr("METRICS_ADDR", ""),
		Pprof:           e.bool("PPROF", false),
		HTTP: httpLimits{
			ReadHeaderTimeout: e.duration("HTTP_READ_HEADER_TIMEOUT", 5*time.Second),
			ReadTimeout:       e.duration("HTTP_READ_TIMEOUT", 30*time.Second),
			WriteTimeout:      e.duration("HTTP_WRITE_TIMEOUT", 30*time.Second),
			IdleTimeout:       e.duration("HTTP_IDLE_TIMEOUT", 120*time.Second),
			MaxHeaderBytes:    e.int("HTTP_MAX_HEADER_BYTES", 64<<10),
		},
		Console: consoleConfig{
			Idle:          e.duration("CONSOLE_IDLE_TIMEOUT", 15*time.Minute),
			Lifetime:      e.duration("CONSOLE_SESSION_LIFETIME", 8*time.Hour),
			SecureCookies: e.bool("CONSOLE_SECURE_COOKIES", false),
		},
	}
	c.SecretKey, c.SecretKeySource = []byte(getenv("JWT_SIGNING_KEY")), "JWT_SIGNING_KEY"
	if len(c.SecretKey) == 0 {
		c.SecretKey, c.SecretKeySource = []byte(getenv("SECRET_KEY")), "SECRET_KEY"
	}
	for _, k := range splitList(getenv("SECRET_KEY_FALLBACKS")) {
		c.SecretKeyFallbacks = append(c.SecretKeyFallbacks, []byte(k))
	}
	if e.err != nil {
		return nil, e.err
	}
	return c, c.check()
}

// check finds settings that cannot work together.
func (c *config) check() error {
	switch {
	case c.RefreshLifetime < c.AccessLifetime:
		return fmt.Errorf("REFRESH_TOKEN_LIFETIME: %v is shorter than ACCESS_TOKEN_LIFETIME (%v); a session would end before its first access token", c.RefreshLifetime, c.AccessLifetime)
	case c.Console.Lifetime > sqlstore.MaxSessionLifetime:
		return fmt.Errorf("CONSOLE_SESSION_LIFETIME: %v is longer than the %v a console session may last", c.Console.Lifetime, sqlstore.MaxSessionLifetime)
	case c.Console.Idle > c.Console.Lifetime:
		return fmt.Errorf("CONSOLE_IDLE_TIMEOUT: %v is longer than CONSOLE_SESSION_LIFETIME (%v)", c.Console.Idle, c.Console.Lifetime)
	case c.Pprof && c.MetricsAddr == "":
		// Never on the API port: profiles show the program's internals.
		return errors.New("PPROF: needs METRICS_ADDR, the only listener it is served on")
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return errors.New("TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	case len(c.AllowedHosts) == 0:
		return errors.New("ALLOWED_HOSTS: empty; list the host names clients use")
	case len(c.SecretKey) == 0 && !c.sqlite():
		return errors.New("SECRET_KEY: required with PostgreSQL (at least 32 random bytes)")
	}
	return nil
}

// exampleKeys are signing keys published in documentation, the Django
// design's own among them: a server using one signs tokens anybody can forge.
var exampleKeys = []string{"your-super-secret-key", "your-secret-key", "secret", "secret-key", "changeme",
	"change-me", "changethis", "supersecret", "mysecretkey", "your_secret_key"}

// problems lists what makes the configuration unsafe for production, as
// Django's check --deploy does. serve refuses to start on any of them
// unless DEBUG is on.
func (c *config) problems() []string {
	var out []string
	key := strings.ToLower(strings.TrimSpace(string(c.SecretKey)))
	if slices.Contains(exampleKeys, key) || strings.HasPrefix(key, "django-insecure") {
		out = append(out, c.SecretKeySource+": a published example value; anyone could sign tokens with it")
	}
	if len(c.SecretKey) > 0 && len(c.SecretKey) < 32 {
		out = append(out, fmt.Sprintf("%s: %d bytes; use at least 32 random bytes", c.SecretKeySource, len(c.SecretKey)))
	}
	for _, k := range c.SecretKeyFallbacks {
		if len(k) < 32 {
			out = append(out, "SECRET_KEY_FALLBACKS: a key under 32 bytes")
			break
		}
	}
	if slices.Contains(c.AllowedHosts, "*") {
		out = append(out, "ALLOWED_HOSTS: * accepts any Host header; list the names clients use")
	}
	for _, f := range []struct{ name, path string }{{"TLS_CERT_FILE", c.TLSCertFile}, {"TLS_KEY_FILE", c.TLSKeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", f.name, err))
		}
	}
	return out
}

// sqlitePath is the file of a sqlite:// URL.
func sqlitePath(dbURL string) string {
	p := strings.TrimPrefix(dbURL, "sqlite://")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// ensureSecretKey gives the embedded database a signing key of its own
// when none is configured: made once, kept beside the database file, so
// that tokens survive restarts with no set-up.
func ensureSecretKey(c *config) (generated bool, err error) {
	if len(c.SecretKey) > 0 || !c.sqlite() {
		return false, nil
	}
	path := sqlitePath(c.DatabaseURL) + ".secret_key"
	c.SecretKeySource = path
	// #nosec G304 -- the key file beside the configured database
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		c.SecretKey = []byte(strings.TrimSpace(string(b)))
		return false, nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return false, fmt.Errorf("generate secret key: %w", err)
	}
	key := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("create directory for secret key: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return false, fmt.Errorf("write secret key: %w", err)
	}
	c.SecretKey = []byte(key)
	return true, nil
}

// env reads settings, keeping the first error: parseConfig reads as the
// list of settings it is, and the error names the variable at fault.
type env struct {
	getenv func(string) string
	err    error
}

func (e *env) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf(format, args...)
	}
}

// str is the trimmed value of key, or def.
func (e *env) str(key, def string) string {
	if v := strings.TrimSpace(e.getenv(key)); v != "" {
		return v
	}
	return def
}

func (e *env) oneOf(key string, def string, others ...string) string {
	v := e.str(key, def)
	if v != def && !slices.Contains(others, v) {
		e.fail("%s: want one of %s, got %q", key, strings.Join(append([]string{def}, others...), ", "), v)
	}
	return v
}

func (e *env) bool(key string, def bool) bool {
	switch v := strings.ToLower(e.str(key, "")); v {
	case "":
		return def
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	default:
		e.fail("%s: want true or false, got %q", key, v)
		return def
	}
}

// duration takes Go durations ("5m", "24h") or whole seconds, positive.
func (e *env) duration(key string, def time.Duration) time.Duration {
	v := e.str(key, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseInt(v, 10, 64)
		if nerr != nil || n > int64(math.MaxInt64/time.Second) {
			e.fail("%s: want a duration such as 5m or 300, got %q", key, v)
			return def
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		e.fail("%s: must be positive, got %q", key, v)
		return def
	}
	return d
}

// durationOrOff is a duration, or 0 for off (returned as -1).
func (e *env) durationOrOff(key string, def time.Duration) time.Duration {
	if e.str(key, "") == "0" {
		return -1
	}
	return e.duration(key, def)
}

// durationOrZero is a duration that may also be 0, its default.
func (e *env) durationOrZero(key string) time.Duration {
	if v := e.str(key, "0"); v == "0" {
		return 0
	}
	return e.duration(key, 0)
}

func (e *env) int(key string, def int) int {
	v := e.str(key, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		e.fail("%s: want a positive whole number, got %q", key, v)
		return def
	}
	return n
}

// addr is a host:port to listen on, with a port of 0 to 65535; "" stays "".
func (e *env) addr(key, def string) string {
	v := e.str(key, def)
	if v == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		e.fail("%s: want host:port, got %q", key, v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		e.fail("%s: want a port from 0 to 65535, got %q", key, port)
	}
	return v
}

// limit reads "N/window" ("10/15m"); "0" or "off" turns the limit off.
func (e *env) limit(key string, def healthcare.Limit) healthcare.Limit {
	v := e.str(key, "")
	switch {
	case v == "":
		return def
	case v == "0" || strings.EqualFold(v, "off"):
		return healthcare.Limit{}
	}
	n, w, ok := strings.Cut(v, "/")
	requests, err := strconv.Atoi(n)
	window, werr := time.ParseDuration(w)
	if !ok || err != nil || werr != nil || requests < 1 || window < time.Second {
		e.fail("%s: want requests/window such as 60/1m, or off, got %q", key, v)
		return def
	}
	return healthcare.Limit{Requests: requests, Window: window}
}

// prefixes reads a comma list of addresses or CIDR ranges.
func (e *env) prefixes(key string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range splitList(e.getenv(key)) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			e.fail("%s: want addresses or CIDR ranges, got %q", key, s)
			return nil
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// origins reads a comma list of browser origins, or "*".
func (e *env) origins(key string) []string {
	out := splitList(e.getenv(key))
	for _, o := range out {
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
			e.fail("%s: want origins such as https://app.example.com, got %q", key, o)
		}
	}
	return out
}

// databaseURL is DATABASE_URL, else one built from the Django design's
// DB_* variables, else the embedded database in ./healthcare.db.
func (e *env) databaseURL() string {
	if v := e.getenv("DATABASE_URL"); v != "" {
		switch {
		case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
			if _, err := url.Parse(v); err != nil {
				e.fail("DATABASE_URL: not a valid URL")
			}
		case strings.HasPrefix(v, "sqlite://") && len(v) > len("sqlite://"):
		default:
			e.fail("DATABASE_URL: want postgres://… or sqlite://path")
		}
		return v
	}
	name := e.getenv("DB_NAME")
	if name == "" {
		return "sqlite://healthcare.db"
	}
	host := e.str("DB_HOST", "localhost")
	port := e.str("DB_PORT", "5432")
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		e.fail("DB_PORT: want a port number, got %q", port)
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, port), Path: "/" + name}
	if strings.HasPrefix(host, "/") {
		// A socket directory, as Django and libpq allow.
		u.Host = ""
		u.RawQuery = url.Values{"host": {host}, "port": {port}}.Encode()
	}
	if user := e.getenv("DB_USER"); user != "" {
		if pw := e.getenv("DB_PASSWORD"); pw != "" {
			u.User = url.UserPassword(user, pw)
		} else {
			u.User = url.User(user)
		}
	}
	return u.String()
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
