package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
)

// createSuperuser makes a staff account, which sees every audit event.
// Missing flags are asked for on standard input, one line each, so that a
// script can pipe them in. --password exists for scripts, but standard
// input is safer: other users of the machine can read a process's flags.
func createSuperuser(ctx context.Context, cfg *config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("createsuperuser", flag.ContinueOnError)
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "email address")
	password := fs.String("password", "", "password (prefer standard input)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := bufio.NewReader(stdin)
	ask := func(prompt string, v *string) error {
		if *v != "" {
			return nil
		}
		fmt.Fprint(stdout, prompt)
		line, err := in.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return fmt.Errorf("read %s: %w", strings.TrimSuffix(prompt, ": "), err)
		}
		*v = strings.TrimRight(line, "\r\n")
		return nil
	}
	for _, q := range []struct {
		prompt string
		v      *string
	}{{"Username: ", username}, {"Email: ", email}, {"Password: ", password}} {
		if err := ask(q.prompt, q.v); err != nil {
			return err
		}
	}
	if _, err := ensureSecretKey(cfg); err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.AutoMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	auth, err := newAuthService(cfg, db)
	if err != nil {
		return err
	}
	u, err := auth.CreateSuperuser(ctx, healthcare.Registration{Username: strings.TrimSpace(*username),
		Email: strings.TrimSpace(*email), Password: *password})
	var e *healthcare.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		var lines []string
		for field, msgs := range e.Fields {
			lines = append(lines, field+": "+strings.Join(msgs, " "))
		}
		return errors.New(strings.Join(lines, "; "))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nSuperuser %q created (id %d).\n", u.Username, u.ID)
	return nil
}

// auditExport streams events as JSON lines, oldest first, for a SIEM.
func auditExport(ctx context.Context, cfg *config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	sinceFlag := fs.String("since", "", "first instant, RFC 3339 (default: the beginning)")
	untilFlag := fs.String("until", "", "last instant, RFC 3339 (default: now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	since, until := time.Unix(0, 0), time.Now()
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"--since", *sinceFlag, &since}, {"--until", *untilFlag, &until}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.v)
		if err != nil {
			return fmt.Errorf("%s: want an RFC 3339 time such as 2026-01-31T00:00:00Z, got %q", f.name, f.v)
		}
		*f.dst = t
	}
	db, err := openDB(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	w := bufio.NewWriter(stdout)
	if err := db.ExportEvents(ctx, since, until, httpapi.AuditEventWriter(w)); err != nil {
		return err
	}
	return w.Flush()
}

// check reports every problem that serve would refuse to start with, and
// whether the database answers and is migrated, like Django's check --deploy.
func check(ctx context.Context, cfg *config, stdout io.Writer) error {
	problems := cfg.problems()
	if cfg.Debug {
		problems = append(problems, "DEBUG: on; turn it off in production")
	}
	if len(cfg.SecretKey) == 0 && cfg.sqlite() {
		problems = append(problems, "SECRET_KEY: not set; a key generated beside the database will be used")
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if db, err := openDB(pingCtx, cfg, nil); err != nil {
		problems = append(problems, "database: "+err.Error())
	} else {
		defer db.Close()
		status, err := db.MigrationStatus(pingCtx)
		if err != nil {
			problems = append(problems, "migrations: "+err.Error())
		}
		for _, m := range status {
			if !m.Applied {
				problems = append(problems, fmt.Sprintf("migrations: %05d %s is pending; run healthcare migrate", m.Version, m.Name))
			}
		}
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, "problem:", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s)", len(problems))
	}
	fmt.Fprintln(stdout, "no problems found")
	return nil
}

// probe asks a running server's /readyz, for health checks in images that
// have no shell or curl.
func probe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	target := ""
	if len(args) > 0 {
		target = args[0]
	} else {
		addr := envOr(getenv, "ADDR", "127.0.0.1:8000")
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("ADDR: %w", err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// #nosec G704 -- the operator names the URL to probe; that is the command's purpose.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Host = "localhost"
	res, err := http.DefaultClient.Do(req) // #nosec G704 -- as above
	if err != nil {
		return fmt.Errorf("probe %s: %w", target, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: status %d", target, res.StatusCode)
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}
