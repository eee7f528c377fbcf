// Command healthcare serves the healthcare API and runs its maintenance
// commands (cli.go lists them): serve, the default, migrate, check,
// createsuperuser, audit export, import django, probe and version.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/clinicapi/healthcare/sqlstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setGCPercent(os.LookupEnv)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "healthcare:", err)
		os.Exit(1)
	}
}

// defaultGCPercent is the garbage collector's GOGC unless the environment
// sets one. The live heap is small (a few MiB), so at Go's default of 100
// the collector ran several hundred times a second under load; at 200 a
// patient read cost about a tenth less server CPU (scripts/loadtest
// -compare), and the resident set stays under 64 MiB (docs/performance.md).
const defaultGCPercent = 200

func setGCPercent(lookup func(string) (string, bool)) {
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
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
// openDB opens the configured database for a command; opt adds what only
// the server needs (see openServing).
func openDB(ctx context.Context, cfg *config, opt sqlstore.Options) (*sqlstore.DB, error) {
	if cfg.sqlite() {
		// SQLite's own word for this is "unable to open database file (14)".
		path := sqlitePath(cfg.DatabaseURL)
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("DATABASE_URL: the directory %s of %s does not exist; create it first", filepath.Dir(path), path)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	opt.MaxOpenConns, opt.AuditKey = cfg.DBMaxConns, auditKey(cfg.SecretKey)
	if opt.UserCacheMaxAge == 0 {
		opt.UserCacheMaxAge = -1 // a command authenticates no tokens
	}
	return sqlstore.Open(ctx, cfg.DatabaseURL, opt)
}

// auditKey derives the key of the audit trail's name hashes from the
// signing key, so that neither can be computed from the other.
func auditKey(secret []byte) []byte { return derivedKey(secret, "healthcare audit subject") }

// consoleKey derives the key of the console's sign-in form tokens, the
// same on every instance.
func consoleKey(secret []byte) []byte { return derivedKey(secret, "healthcare console sign-in") }

func derivedKey(secret []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

func migrate(ctx context.Context, cfg *config, status bool, stdout io.Writer) error {
	db, err := openDB(ctx, cfg, sqlstore.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if status {
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
