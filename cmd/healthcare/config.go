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
	ShutdownTimeout    time.Duration
	LogFormat          string
	LogLevel           string
	TrustedProxies     []netip.Prefix
	LoginLimit         healthcare.Limit
	AuthLimit          healthcare.Limit
	DoctorLimit        healthcare.Limit
	HashConcurrency    int
	HashWait           time.Duration
	CORSOrigins        []string
	TLSCertFile        string
	TLSKeyFile         string
	RequestTimeout     time.Duration
	ShutdownDelay      time.Duration
	MetricsAddr        string
	Pprof              bool
	HTTP               httpLimits
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
	c := &config{
		Addr:      envOr(getenv, "ADDR", "127.0.0.1:8000"),
		LogFormat: envOr(getenv, "LOG_FORMAT", "text"),
		LogLevel:  envOr(getenv, "LOG_LEVEL", "info"),
	}
	var err error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("ADDR: want host:port, got %q", c.Addr)
	}
	if c.DatabaseURL, err = databaseURL(getenv); err != nil {
		return nil, err
	}
	if c.Debug, err = parseBool(getenv, "DEBUG", false); err != nil {
		return nil, err
	}
	if c.AutoMigrate, err = parseBool(getenv, "AUTO_MIGRATE", true); err != nil {
		return nil, err
	}
	if c.AccessLifetime, err = parseDuration(getenv, "ACCESS_TOKEN_LIFETIME", 5*time.Minute); err != nil {
		return nil, err
	}
	if c.RefreshLifetime, err = parseDuration(getenv, "REFRESH_TOKEN_LIFETIME", 24*time.Hour); err != nil {
		return nil, err
	}
	if c.ShutdownTimeout, err = parseDuration(getenv, "SHUTDOWN_TIMEOUT", 20*time.Second); err != nil {
		return nil, err
	}
	if v := getenv("SHUTDOWN_DELAY"); v != "" && v != "0" {
		if c.ShutdownDelay, err = parseDuration(getenv, "SHUTDOWN_DELAY", 0); err != nil {
			return nil, err
		}
	}
	if c.DBMaxConns, err = parseInt(getenv, "DB_MAX_CONNS", 16); err != nil {
		return nil, err
	}
	if c.HashConcurrency, err = parseInt(getenv, "PASSWORD_HASH_CONCURRENCY", runtime.NumCPU()); err != nil {
		return nil, err
	}
	if c.HashWait, err = parseDuration(getenv, "PASSWORD_HASH_WAIT", 2*time.Second); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		key string
		def time.Duration
		dst *time.Duration
	}{
		{"REQUEST_TIMEOUT", 15 * time.Second, &c.RequestTimeout},
		{"HTTP_READ_HEADER_TIMEOUT", 5 * time.Second, &c.HTTP.ReadHeaderTimeout},
		{"HTTP_READ_TIMEOUT", 30 * time.Second, &c.HTTP.ReadTimeout},
		{"HTTP_WRITE_TIMEOUT", 30 * time.Second, &c.HTTP.WriteTimeout},
		{"HTTP_IDLE_TIMEOUT", 120 * time.Second, &c.HTTP.IdleTimeout},
	} {
		if *d.dst, err = parseDuration(getenv, d.key, d.def); err != nil {
			return nil, err
		}
	}
	if c.HTTP.MaxHeaderBytes, err = parseInt(getenv, "HTTP_MAX_HEADER_BYTES", 64<<10); err != nil {
		return nil, err
	}
	if c.MetricsAddr = strings.TrimSpace(getenv("METRICS_ADDR")); c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return nil, fmt.Errorf("METRICS_ADDR: want host:port, got %q", c.MetricsAddr)
		}
	}
	if c.Pprof, err = parseBool(getenv, "PPROF", false); err != nil {
		return nil, err
	}
	if c.Pprof && c.MetricsAddr == "" {
		// Never on the API port: profiles show the program's internals.
		return nil, errors.New("PPROF: needs METRICS_ADDR, the only listener it is served on")
	}
	c.CORSOrigins = splitList(getenv("CORS_ALLOWED_ORIGINS"))
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
			return nil, fmt.Errorf("CORS_ALLOWED_ORIGINS: want origins such as https://app.example.com, got %q", o)
		}
	}
	c.TLSCertFile, c.TLSKeyFile = getenv("TLS_CERT_FILE"), getenv("TLS_KEY_FILE")
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return nil, errors.New("TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
	}
	if c.TrustedProxies, err = parsePrefixes(getenv, "TRUSTED_PROXIES"); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		key string
		def healthcare.Limit
		dst *healthcare.Limit
	}{
		{"THROTTLE_LOGIN_FAILURES", healthcare.Limit{Requests: 10, Window: 15 * time.Minute}, &c.LoginLimit},
		{"THROTTLE_AUTH", healthcare.Limit{Requests: 60, Window: time.Minute}, &c.AuthLimit},
		{"THROTTLE_DOCTOR_WRITES", healthcare.Limit{Requests: 60, Window: time.Minute}, &c.DoctorLimit},
	} {
		if *l.dst, err = parseLimit(getenv, l.key, l.def); err != nil {
			return nil, err
		}
	}
	c.AllowedHosts = splitList(envOr(getenv, "ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]"))
	if len(c.AllowedHosts) == 0 {
		return nil, errors.New("ALLOWED_HOSTS: empty; list the host names clients use")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return nil, fmt.Errorf("LOG_FORMAT: want text or json, got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel)
	}
	key := getenv("JWT_SIGNING_KEY")
	c.SecretKeySource = "JWT_SIGNING_KEY"
	if key == "" {
		key, c.SecretKeySource = getenv("SECRET_KEY"), "SECRET_KEY"
	}
	if key == "" && !c.sqlite() {
		return nil, errors.New("SECRET_KEY: required with PostgreSQL (at least 32 random bytes)")
	}
	c.SecretKey = []byte(key)
	for _, k := range splitList(getenv("SECRET_KEY_FALLBACKS")) {
		c.SecretKeyFallbacks = append(c.SecretKeyFallbacks, []byte(k))
	}
	return c, nil
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

// databaseURL is DATABASE_URL, else one built from the Django design's
// DB_* variables, else the embedded database in ./healthcare.db.
func databaseURL(getenv func(string) string) (string, error) {
	if v := getenv("DATABASE_URL"); v != "" {
		switch {
		case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
			if _, err := url.Parse(v); err != nil {
				return "", errors.New("DATABASE_URL: not a valid URL")
			}
		case strings.HasPrefix(v, "sqlite://") && len(v) > len("sqlite://"):
		default:
			return "", errors.New("DATABASE_URL: want postgres://… or sqlite://path")
		}
		return v, nil
	}
	name := getenv("DB_NAME")
	if name == "" {
		return "sqlite://healthcare.db", nil
	}
	host := envOr(getenv, "DB_HOST", "localhost")
	port := envOr(getenv, "DB_PORT", "5432")
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return "", fmt.Errorf("DB_PORT: want a port number, got %q", port)
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(host, port), Path: "/" + name}
	if strings.HasPrefix(host, "/") {
		// A socket directory, as Django and libpq allow.
		u.Host = ""
		u.RawQuery = url.Values{"host": {host}, "port": {port}}.Encode()
	}
	if user := getenv("DB_USER"); user != "" {
		if pw := getenv("DB_PASSWORD"); pw != "" {
			u.User = url.UserPassword(user, pw)
		} else {
			u.User = url.User(user)
		}
	}
	return u.String(), nil
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

func envOr(getenv func(string) string, key, def string) string {
	if v := strings.TrimSpace(getenv(key)); v != "" {
		return v
	}
	return def
}

func parseBool(getenv func(string) string, key string, def bool) (bool, error) {
	v := strings.ToLower(strings.TrimSpace(getenv(key)))
	switch v {
	case "":
		return def, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: want true or false, got %q", key, v)
}

// parseDuration takes Go durations ("5m", "24h") or whole seconds.
func parseDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseInt(v, 10, 64)
		if nerr != nil || n > int64(math.MaxInt64/time.Second) {
			return 0, fmt.Errorf("%s: want a duration such as 5m or 300, got %q", key, v)
		}
		d = time.Duration(n) * time.Second
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s: must be positive, got %q", key, v)
	}
	return d, nil
}

func parseInt(getenv func(string) string, key string, def int) (int, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: want a positive whole number, got %q", key, v)
	}
	return n, nil
}

// parseLimit reads "N/window" ("10/15m"); "0" turns the limit off.
func parseLimit(getenv func(string) string, key string, def healthcare.Limit) (healthcare.Limit, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	if v == "0" || strings.EqualFold(v, "off") {
		return healthcare.Limit{}, nil
	}
	n, w, ok := strings.Cut(v, "/")
	requests, err := strconv.Atoi(n)
	window, werr := time.ParseDuration(w)
	if !ok || err != nil || werr != nil || requests < 1 || window < time.Second {
		return healthcare.Limit{}, fmt.Errorf("%s: want requests/window such as 60/1m, or off, got %q", key, v)
	}
	return healthcare.Limit{Requests: requests, Window: window}, nil
}

// parsePrefixes reads a comma list of addresses or CIDR ranges.
func parsePrefixes(getenv func(string) string, key string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range splitList(getenv(key)) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%s: want addresses or CIDR ranges, got %q", key, s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
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
