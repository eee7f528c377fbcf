// Command loadtest measures the service's hot paths against PostgreSQL and
// sets each beside a ceiling: pgbench running the same SQL at the same
// concurrency, in the same run. It builds nothing itself: scripts/loadtest
// builds the server from the working tree and runs this.
//
//	loadtest -bin ./healthcare -profile small -duration 10s -conns 64
//
// Everything goes to 127.0.0.1, bounded in time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
)

type options struct {
	bin      string
	profile  profile
	duration time.Duration
	conns    int
	pgHost   string
	pgPort   string
	paths    string
	keep     bool
	scaleout bool
	pprofDir string
	// pprofAddr is where the server under test serves its profiler.
	pprofAddr string
	rounds    int
	// compare: drive the reads beside the floor and the Django design.
	compare   bool
	floorDir  string
	djangoDir string
}

func main() {
	var o options
	var profileName string
	flag.StringVar(&o.bin, "bin", "./healthcare", "the healthcare binary")
	flag.StringVar(&profileName, "profile", "small", "seed profile: small (1,000 users x 20 patients) or large (10,000 x 100)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each path is driven")
	flag.IntVar(&o.conns, "conns", 64, "concurrent connections")
	flag.StringVar(&o.pgHost, "pghost", "127.0.0.1", "PostgreSQL host (loopback)")
	flag.StringVar(&o.pgPort, "pgport", "5432", "PostgreSQL port")
	flag.StringVar(&o.paths, "paths", "", "comma list of paths to run (default: all)")
	flag.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	flag.BoolVar(&o.scaleout, "scaleout", false, "instead: two instances behind nginx, checks and load through it")
	flag.StringVar(&o.pprofDir, "pprof", "", "write the server's CPU profile of each path to this directory")
	flag.IntVar(&o.rounds, "rounds", 1, "rounds of API and pgbench per path; the median ratio is reported")
	flag.BoolVar(&o.compare, "compare", false, "instead: drive the hot reads on ours, the floor (with and without the user lookup) and the Django design, alternating")
	flag.StringVar(&o.floorDir, "floor", "../shared/perf-floor", "with -compare: the floor's source directory")
	flag.StringVar(&o.djangoDir, "django", "../shared/django-reference", "with -compare: the Django design's directory (serve.sh); empty: leave it out")
	flag.Parse()
	p, ok := profiles[profileName]
	if !ok {
		fmt.Fprintln(os.Stderr, "loadtest: unknown profile", profileName)
		os.Exit(2)
	}
	o.profile = p
	if o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "loadtest: -rounds must be at least 1")
		os.Exit(2)
	}
	if o.pgHost != "127.0.0.1" && o.pgHost != "localhost" {
		fmt.Fprintln(os.Stderr, "loadtest: PostgreSQL must be on loopback")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	for _, tool := range []string{"psql", "pgbench"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: install PostgreSQL's client tools", tool)
		}
	}
	db := fmt.Sprintf("hc_load_%d", time.Now().UnixNano()%1e9)
	pg := pgconn{host: o.pgHost, port: o.pgPort, db: db}
	drop, err := psql.CreateDatabase(pg.host, pg.port, db)
	if err != nil {
		return err
	}
	if !o.keep {
		defer drop()
	}
	var env []string
	pprofAddr := ""
	if o.pprofDir != "" {
		if pprofAddr, err = serverproc.FreeAddr(); err != nil {
			return fmt.Errorf("no free port for the profiler: %w", err)
		}
		env = append(env, "METRICS_ADDR="+pprofAddr, "PPROF=true")
		o.pprofAddr = pprofAddr
	}
	if o.compare {
		// Beside other servers, ours runs as shipped: an access log line
		// per request (to a pipe the driver reads).
		env = append(env, "LOG_LEVEL=info")
	}
	srv, err := start(ctx, o.bin, pg, env...)
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("seeding profile %s: %d users x %d patients, %d doctors, %d assignments per patient\n",
		o.profile.name, o.profile.users, o.profile.patientsPerUser, o.profile.doctors, o.profile.assignmentsPerPatient)
	t0 := time.Now()
	if err := seed(pg, o.profile); err != nil {
		return err
	}
	fmt.Printf("seeded in %v\n", time.Since(t0).Round(time.Millisecond))
	// Start-up on a migrated database: a second process, then gone.
	second, err := start(ctx, o.bin, pg)
	if err != nil {
		return err
	}
	startup := second.Startup
	second.Stop()
	fmt.Printf("start-up to /readyz 200 on a migrated database: %v\n", startup.Round(time.Millisecond))
	if o.scaleout {
		srv.Stop()
		return scaleOut(ctx, o, pg)
	}
	clients, err := newClients(srv.URL, o.profile, o.conns)
	if err != nil {
		return err
	}
	if o.compare {
		return compare(ctx, o, srv, clients)
	}
	var results []pathResult
	for _, p := range hotPaths {
		if o.paths != "" && !strings.Contains(","+o.paths+",", ","+p.name+",") {
			continue
		}
		// Each round drives the API and then pgbench, back to back, so
		// that each ratio compares two runs under the same background;
		// the round with the median ratio is the one reported.
		var rounds []pathResult
		for round := range o.rounds {
			var profile <-chan error
			if o.pprofDir != "" && round == 0 {
				profile = cpuProfile(pprofAddr, o.duration, filepath.Join(o.pprofDir, p.name+".pprof"))
			}
			r := drive(ctx, o.profile, srv.URL, clients, p, o.duration, srv.RSS, srv.Pid())
			if profile != nil {
				if err := <-profile; err != nil {
					return fmt.Errorf("%s profile: %w", p.name, err)
				}
			}
			if r.ceiling, err = pgbenchCeiling(pg, o.profile, p, o.conns, o.duration); err != nil {
				return fmt.Errorf("%s ceiling: %w", p.name, err)
			}
			fmt.Println(r.line())
			rounds = append(rounds, r)
		}
		results = append(results, median(rounds))
	}
	report(o, results, srv.PeakRSS(), startup)
	for _, r := range results {
		if r.errors > 0 {
			return errors.New("requests failed")
		}
	}
	return nil
}

// start runs the server on pg's database with the load's settings: an
// access token outlives the run, and only warnings are logged, so that
// logging costs no CPU the measurement shares.
func start(ctx context.Context, bin string, pg pgconn, env ...string) (*serverproc.Server, error) {
	return serverproc.Start(ctx, bin, append([]string{"DATABASE_URL=" + pg.url(),
		"SECRET_KEY=loadtest-key-loadtest-key-loadtest-key", "ACCESS_TOKEN_LIFETIME=2h", "LOG_LEVEL=warn"}, env...)...)
}
