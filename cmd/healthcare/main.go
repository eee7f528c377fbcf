// Command healthcare serves the healthcare API and runs its maintenance
// commands: serve (the default), migrate and version.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "healthcare:", err)
		os.Exit(1)
	}
}

const usage = `usage: healthcare [command]

commands:
  serve            serve the API (the default)
  migrate          apply pending database migrations
  migrate --status list migrations and whether each is applied
  createsuperuser  create a staff account (--username, --email, --password;
                   what is missing is read from standard input)
  audit export     write audit events as JSON lines (--since, --until)
  check            report unsafe settings and whether the database answers;
                   exits non-zero on any problem
  version          print the version
`

// run is the whole program; main only gives it the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, versionString())
		return nil
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	getenv, err := loadEnv(getenv, ".env")
	if err != nil {
		return err
	}
	cfg, err := parseConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, logger)
	case "migrate":
		return migrate(ctx, cfg, args, stdout)
	case "check":
		return check(ctx, cfg, stdout)
	case "createsuperuser":
		return createSuperuser(ctx, cfg, args, stdin, stdout)
	case "audit":
		if len(args) == 0 || args[0] != "export" {
			return errors.New("usage: healthcare audit export [--since RFC3339] [--until RFC3339]")
		}
		return auditExport(ctx, cfg, args[1:], stdout)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	version, commit := "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
		return fmt.Sprintf("healthcare %s commit %s %s", version, commit, info.GoVersion)
	}
	return "healthcare " + version
}

func openDB(ctx context.Context, cfg *config) (*sqlstore.DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.Options{MaxOpenConns: cfg.DBMaxConns, AuditKey: auditKey(cfg.SecretKey)})
}

// auditKey derives the key of the audit trail's name hashes from the
// signing key, so that neither can be computed from the other.
func auditKey(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("healthcare audit subject"))
	return mac.Sum(nil)
}

// sweep deletes stale throttle counters and expired refresh tokens every
// few minutes. Every instance may run it; the deletes are idempotent.
func sweep(ctx context.Context, logger *slog.Logger, db *sqlstore.DB, maxWindow time.Duration) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := db.DeleteExpired(ctx, maxWindow); err != nil {
				logger.Warn("sweep expired rows", "err", err)
			}
		}
	}
}

func newAuthService(cfg *config, db *sqlstore.DB) (*sqlstore.AuthService, error) {
	hasher, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return nil, err
	}
	hasher.Limit(cfg.HashConcurrency, cfg.HashWait)
	policy, err := password.NewPolicy()
	if err != nil {
		return nil, err
	}
	signer, err := jwt.NewSigner(cfg.SecretKey, cfg.AccessLifetime, cfg.RefreshLifetime)
	if err != nil {
		return nil, err
	}
	signer.SetFallbackKeys(cfg.SecretKeyFallbacks...)
	auth := sqlstore.NewAuthService(db, hasher, policy, signer)
	auth.LoginLimit = cfg.LoginLimit
	return auth, nil
}

func migrate(ctx context.Context, cfg *config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	status := fs.Bool("status", false, "list migrations and whether each is applied")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if *status {
		list, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%05d %-8s %s\n", m.Version, state, m.Name)
		}
		return nil
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
	return nil
}

func serve(ctx context.Context, cfg *config, logger *slog.Logger) error {
	generated, err := ensureSecretKey(cfg)
	if err != nil {
		return err
	}
	if generated {
		logger.Warn("no SECRET_KEY set: generated one for the embedded database; set SECRET_KEY in production",
			"file", cfg.SecretKeySource)
	}
	if problems := cfg.problems(); len(problems) > 0 {
		if !cfg.Debug {
			return fmt.Errorf("refusing to start with an unsafe configuration (DEBUG=true overrides):\n  %s",
				strings.Join(problems, "\n  "))
		}
		for _, p := range problems {
			logger.Warn("unsafe configuration, allowed because DEBUG is on", "problem", p)
		}
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.AutoMigrate {
		n, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			logger.Info("applied migrations", "count", n)
		}
	}

	auth, err := newAuthService(cfg, db)
	if err != nil {
		return err
	}
	handler := httpapi.NewServer(logger, httpapi.Config{
		AllowedHosts: cfg.AllowedHosts, TrustedProxies: cfg.TrustedProxies,
		AuthLimit: cfg.AuthLimit, DoctorWriteLimit: cfg.DoctorLimit,
		CORSAllowedOrigins: cfg.CORSOrigins, RequestTimeout: cfg.RequestTimeout,
	}, httpapi.Services{
		Auth:        auth,
		Patients:    sqlstore.NewPatientService(db),
		Doctors:     sqlstore.NewDoctorService(db),
		Assignments: sqlstore.NewAssignmentService(db),
		Audit:       sqlstore.NewAuditService(db),
		Throttle:    sqlstore.NewThrottle(db),
		Ready:       db.Ping,
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	logger.Info("listening", "addr", ln.Addr().String(), "tls", cfg.TLSCertFile != "", "database", db.Engine(),
		"debug", cfg.Debug, "allowed_hosts", cfg.AllowedHosts, "secret_key", cfg.SecretKeySource,
		"access_token_lifetime", cfg.AccessLifetime.String(), "refresh_token_lifetime", cfg.RefreshLifetime.String())

	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCertFile != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	go sweep(ctx, logger, db, max(cfg.LoginLimit.Window, cfg.AuthLimit.Window, cfg.DoctorLimit.Window))
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}
