package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/sqlstore"
)

// account is what createsuperuser is given on its command line.
type account struct{ username, email, password string }

// createSuperuser makes a staff account, which sees every audit event.
// Missing flags are asked for on standard input, one line each, so that a
// script can pipe them in. --password exists for scripts, but standard
// input is safer: other users of the machine can read a process's flags.
func createSuperuser(ctx context.Context, cfg *config, a account, stdin io.Reader, stdout io.Writer) error {
	username, email, password := &a.username, &a.email, &a.password
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
	db, err := openDB(ctx, cfg, sqlstore.Options{})
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
func auditExport(ctx context.Context, cfg *config, sinceFlag, untilFlag string, stdout io.Writer) error {
	since, until := time.Unix(0, 0), time.Now()
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"--since", sinceFlag, &since}, {"--until", untilFlag, &until}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.v)
		if err != nil {
			return fmt.Errorf("%s: want an RFC 3339 time such as 2026-01-31T00:00:00Z, got %q", f.name, f.v)
		}
		*f.dst = t
	}
	db, err := openDB(ctx, cfg, sqlstore.Options{})
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
	if db, err := openDB(pingCtx, cfg, sqlstore.Options{}); err != nil {
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
// have no shell or curl. Without a URL it asks ADDR on loopback, over HTTPS
// when the server serves it: the certificate is not checked, as the
// connection never leaves the machine and the certificate names the public
// host, not 127.0.0.1. /readyz answers whatever the Host, so ALLOWED_HOSTS
// does not matter here.
func probe(ctx context.Context, target string, getenv func(string) string, stdout io.Writer) error {
	e := &env{getenv: getenv}
	client := http.DefaultClient
	if target == "" {
		host, port, err := net.SplitHostPort(e.addr("ADDR", "127.0.0.1:8000"))
		if e.err != nil {
			return e.err
		} else if err != nil {
			return fmt.Errorf("ADDR: %w", err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		scheme := "http"
		if getenv("TLS_CERT_FILE") != "" {
			scheme = "https"
			client = &http.Client{Transport: &http.Transport{
				TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, // #nosec G402 -- loopback only, see above
			}}
		}
		target = scheme + "://" + net.JoinHostPort(host, port) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// #nosec G704 -- the operator names the URL to probe; that is the command's purpose.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req) // #nosec G704 -- as above
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
