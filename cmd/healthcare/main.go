// Command healthcare serves the healthcare API and runs its maintenance
// commands: serve (the default), migrate and version.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

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
  probe [URL]      exit 0 if /readyz answers 200 (for container health
                   checks, where there is no curl); default URL from ADDR
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
	if cmd == "probe" {
		return probe(ctx, args, getenv, stdout)
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

// openDB opens the configured database. auditBatch, when not nil,
// observes the audit trail's group commits (serve's metrics).
func openDB(ctx context.Context, cfg *config, auditBatch func(events int, oldest time.Duration)) (*sqlstore.DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.Options{
		MaxOpenConns: cfg.DBMaxConns, AuditKey: auditKey(cfg.SecretKey), AuditBatch: auditBatch})
}

// auditKey derives the key of the audit trail's name hashes from the
// signing key, so that neither can be computed from the other.
func auditKey(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("healthcare audit subject"))
	return mac.Sum(nil)
}

func migrate(ctx context.Context, cfg *config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	status := fs.Bool("status", false, "list migrations and whether each is applied")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, nil)
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
