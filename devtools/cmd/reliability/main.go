// Command reliability runs the service's reliability scenarios against a
// built binary, on loopback only, each bounded in time:
//
//	reliability -bin ./healthcare shutdown   SIGTERM under a mixed load on fresh connections, 5 times
//	reliability -bin ./healthcare pgrestart  PostgreSQL restarted (fast, then immediate) under a write load
//	reliability -bin ./healthcare hostile    the worst bodies anonymous clients can send, in bursts
//	reliability -bin ./healthcare diskfull   the SQLite database's filesystem fills under load (root only)
//
// It exits non-zero if a scenario breaks a promise; scripts/reliability
// builds the binary and runs each.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/apiclient"
	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
)

func main() {
	bin := flag.String("bin", "./healthcare", "the healthcare binary to test")
	pgHost := flag.String("pghost", "127.0.0.1", "PostgreSQL host for the shutdown and hostile scenarios")
	pgPort := flag.String("pgport", "5432", "PostgreSQL port for the shutdown and hostile scenarios")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var err error
	switch flag.Arg(0) {
	case "shutdown":
		err = shutdownUnderLoad(ctx, *bin, *pgHost, *pgPort)
	case "pgrestart":
		err = restartUnderLoad(ctx, *bin)
	case "hostile":
		err = hostile(ctx, *bin, *pgHost, *pgPort)
	case "diskfull":
		err = diskFull(ctx, *bin)
	default:
		err = errors.New("usage: reliability [-bin PATH] shutdown|pgrestart|hostile|diskfull")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("PASS:", flag.Arg(0))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startServer runs the server with JSON logs, which a failure prints.
func startServer(ctx context.Context, bin string, env ...string) (*serverproc.Server, error) {
	return serverproc.Start(ctx, bin, append([]string{"LOG_FORMAT=json",
		"SECRET_KEY=reliability-test-key-reliability-test-key"}, env...)...)
}

// keepAlive reuses connections, as most clients do.
var keepAlive = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func call(c *http.Client, base, method, path, token string, body any) (int, map[string]any, error) {
	status, raw, err := apiclient.Do(c, base, method, path, token, body)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return status, out, err
}

// newToken registers and logs in a fresh account.
func newToken(base string) (string, error) {
	name := "rel" + randomHex(4)
	if st, body, err := call(keepAlive, base, "POST", "/api/auth/register/", "", map[string]any{
		"username": name, "email": name + "@example.com", "password": "c0rrect-h0rse-battery"}); err != nil || st != 201 {
		return "", fmt.Errorf("register: %d %v %v", st, body, err)
	}
	st, body, err := call(keepAlive, base, "POST", "/api/auth/login/", "", map[string]any{"username": name, "password": "c0rrect-h0rse-battery"})
	if err != nil || st != 200 {
		return "", fmt.Errorf("login: %d %v %v", st, body, err)
	}
	return body["access"].(string), nil
}

// newTokens makes n accounts, one per load worker.
func newTokens(base string, n int) ([]string, error) {
	tokens := make([]string, 0, n)
	for range n {
		tok, err := newToken(base)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, tok)
	}
	return tokens, nil
}

// result is one request of a load.
type result struct {
	method     string
	start, end time.Time
	status     int
	err        error
	created    int64
}

// load runs workers on c until stop is closed, alternating creates and
// lists when mixed, creates only otherwise.
func load(c *http.Client, base string, tokens []string, mixed bool, stop <-chan struct{}) []result {
	var (
		mu  sync.Mutex
		out []result
		wg  sync.WaitGroup
	)
	for w, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := result{method: "POST", start: time.Now()}
				var body map[string]any
				if mixed && i%2 == 1 {
					r.method = "GET"
					r.status, _, r.err = call(c, base, "GET", "/api/patients/", tok, nil)
				} else {
					r.status, body, r.err = call(c, base, "POST", "/api/patients/", tok, map[string]any{
						"first_name": "Rel", "last_name": "Load", "email": fmt.Sprintf("w%d-%d-%s@example.com", w, i, randomHex(3)), "dob": "1990-01-01"})
					if r.status == 201 {
						r.created = int64(body["id"].(float64))
					}
				}
				r.end = time.Now()
				mu.Lock()
				out = append(out, r)
				mu.Unlock()
				if r.err != nil {
					time.Sleep(20 * time.Millisecond) // the server is going; do not spin
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// checkPersisted verifies that every acknowledged 201 is in the database,
// each with its audit event.
func checkPersisted(host, port, db string, results []result) error {
	var ids []string
	for _, r := range results {
		if r.created > 0 {
			ids = append(ids, strconv.FormatInt(r.created, 10))
		}
	}
	if len(ids) == 0 {
		return errors.New("no patient was created")
	}
	list := strings.Join(ids, ",")
	n, err := psql.Run(host, port, db, "SELECT count(*) FROM patients WHERE id IN ("+list+")")
	if err != nil {
		return err
	}
	if n != strconv.Itoa(len(ids)) {
		return fmt.Errorf("%s of %d acknowledged patients are in the database", n, len(ids))
	}
	a, err := psql.Run(host, port, db, "SELECT count(DISTINCT object_id) FROM audit_events WHERE action = 'patient.create' AND outcome = 'ok' AND object_id IN ("+list+")")
	if err != nil {
		return err
	}
	if a != strconv.Itoa(len(ids)) {
		return fmt.Errorf("%s of %d created patients have their audit event", a, len(ids))
	}
	fmt.Printf("  %d acknowledged creates, all in the database with their audit events\n", len(ids))
	return nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
