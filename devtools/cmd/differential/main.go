// Command differential drives the Django design and our server with the
// same generated request sequences and compares what clients see: status
// codes, the headers they read (Content-Type, WWW-Authenticate, Allow,
// Retry-After) and bodies, once ids, timestamps, tokens and the order of
// tied list results are normalised. A difference is allowed only by a rule
// of docs/differences.md; any other is a failure, and so is a rule that
// no request needed.
//
//	differential -django http://127.0.0.1:8100 -bin ./healthcare -seed 1 -sequences 30
//
// With -bin it starts the binary on PostgreSQL (a database difftest_…,
// dropped after) and on the embedded database, on ports 8100-8149; with
// -ours it compares servers already running instead. scripts/differential
// starts the Django design and runs it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

func run() error {
	seed := flag.Uint64("seed", 1, "generator seed")
	sequences := flag.Int("sequences", 30, "number of request sequences")
	length := flag.Int("length", 40, "requests per sequence, at least")
	only := flag.Int("only", -1, "run only this sequence (as generated from -seed)")
	django := flag.String("django", "", "base URL of the Django design (required)")
	ours := flag.String("ours", "", "comma list of name=URL of our servers already running, instead of -bin")
	bin := flag.String("bin", "", "our binary, started on PostgreSQL and on the embedded database")
	rulesFile := flag.String("rules", "docs/differences.md", "the allow-list")
	pgHost := flag.String("pghost", "127.0.0.1", "PostgreSQL host for -bin")
	pgPort := flag.String("pgport", "5432", "PostgreSQL port for -bin")
	verbose := flag.Bool("v", false, "print every allowed difference too")
	flag.Parse()
	if *django == "" || (*ours == "") == (*bin == "") {
		return errors.New("usage: differential -django URL (-bin PATH | -ours name=URL,...) [-seed N] [-sequences N]")
	}
	rules, err := readRules(*rulesFile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var targets []*target
	if *bin != "" {
		stop, ts, err := startOurs(ctx, *bin, *pgHost, *pgPort)
		defer stop()
		if err != nil {
			return err
		}
		targets = ts
	} else {
		for _, nv := range strings.Split(*ours, ",") {
			name, u, ok := strings.Cut(nv, "=")
			if !ok {
				return fmt.Errorf("-ours %q: want name=URL", nv)
			}
			targets = append(targets, newTarget(name, u))
		}
	}
	dj := newTarget("django", *django)
	runTag := randomTag()
	g := newGen(*seed, runTag)
	rep := newReport(rules)
	began := time.Now()
	for n := 0; n < *sequences; n++ {
		steps := g.sequence(n, *length)
		if *only >= 0 && n != *only {
			continue
		}
		if err := runSequence(n, steps, dj, targets, rules, rep); err != nil {
			return err
		}
	}
	fmt.Printf("seed %d, %d sequences, run tag %s, %s\n", *seed, *sequences, runTag, time.Since(began).Round(time.Second))
	return rep.print(os.Stdout, *verbose, *only < 0)
}

func randomTag() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runSequence sends each step to every server at once and compares each
// of ours with the Django design's answer.
func runSequence(n int, steps []step, dj *target, ours []*target, rules []*rule, rep *report) error {
	all := append([]*target{dj}, ours...)
	for i, s := range steps {
		answers := make([]answer, len(all))
		errs := make([]error, len(all))
		var wg sync.WaitGroup
		for j, t := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[j], errs[j] = t.do(s)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("sequence %d step %d: %w", n, i, err)
		}
		djView := normalise(dj, s, answers[0])
		for j, t := range ours {
			ov := normalise(t, s, answers[j+1])
			allowed := rep.add(t.name, n, i, s, djView, ov)
			if allowed && len(s.Sync) > 0 {
				for _, sync := range s.Sync {
					if _, err := t.do(sync); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// startOurs starts the binary on a new PostgreSQL database and on a new
// embedded database, and returns a function that stops both and drops
// the PostgreSQL database.
func startOurs(ctx context.Context, bin, pgHost, pgPort string) (func(), []*target, error) {
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	db := "difftest_" + randomTag()
	drop, err := psql.CreateDatabase(pgHost, pgPort, db)
	if err != nil {
		return stop, nil, err
	}
	stops = append(stops, drop)
	dir, err := os.MkdirTemp("", "difftest")
	if err != nil {
		return stop, nil, err
	}
	stops = append(stops, func() { _ = os.RemoveAll(dir) })
	envs := map[string]string{
		"ours-pg":     fmt.Sprintf("DATABASE_URL=postgres://postgres@%s:%s/%s", pgHost, pgPort, db),
		"ours-sqlite": "DATABASE_URL=sqlite://" + filepath.Join(dir, "healthcare.db"),
	}
	var targets []*target
	for _, name := range []string{"ours-pg", "ours-sqlite"} {
		addr, err := freePort()
		if err != nil {
			return stop, nil, err
		}
		// serverproc turns the throttles off: the run makes far more
		// logins per minute than a client would.
		srv, err := serverproc.StartAt(ctx, addr, bin, envs[name], "SECRET_KEY=differential-test-key-differential-test-key",
			"LOG_LEVEL=warn")
		if err != nil {
			return stop, nil, fmt.Errorf("start %s: %w", name, err)
		}
		stops = append(stops, srv.Stop)
		targets = append(targets, newTarget(name, srv.URL))
	}
	return stop, targets, nil
}

// freePort finds a free port in 8100-8149, the range this test may use.
func freePort() (string, error) {
	for p := 8149; p >= 8100; p-- {
		addr := fmt.Sprintf("127.0.0.1:%d", p)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr, nil
	}
	return "", errors.New("no free port in 8100-8149")
}
