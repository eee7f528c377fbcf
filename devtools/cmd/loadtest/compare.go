package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
)

// A rival does the work of our hot reads in another way, and is driven
// beside ours in the same run: the floor (../shared/perf-floor, the
// cheapest honest server), the floor reading the token's user as
// simplejwt does, and the Django design itself.
type rival struct {
	name    string
	base    string
	clients []*client
	stop    func() // never nil
	pid     int    // 0: not ours to sample (Django's workers)
}

// comparePaths are the reads measured against the rivals. Every server
// answers the same request: 20 patients, one patient, 40 assignments (one
// page of ours and Django's), one doctor without a token.
var comparePaths = []hotPath{
	hotPathNamed("patients_list"),
	hotPathNamed("patient_read"),
	{
		name: "mappings_list",
		build: func(c *client, pr profile) (string, string, any) {
			return "GET", "/api/mappings/?page_size=40", nil
		},
	},
	{
		name:      "doctor_read",
		anonymous: true,
		build: func(c *client, pr profile) (string, string, any) {
			return "GET", fmt.Sprintf("/api/doctors/%d/", 1+rand.IntN(pr.doctors)), nil
		},
	},
}

func hotPathNamed(name string) hotPath {
	for _, p := range hotPaths {
		if p.name == name {
			return p
		}
	}
	panic("no hot path " + name)
}

// floorPool is the floor's PostgreSQL pool: our server's default.
const floorPool = 16

// compare drives each read on ours and on every rival, round after round,
// the order of the servers turning each round, and reports ours ÷ each.
func compare(ctx context.Context, o options, ours *serverproc.Server, oursClients []*client) error {
	var cleanup []func()
	defer func() {
		for _, stop := range slices.Backward(cleanup) {
			stop()
		}
	}()
	rivals, err := startRivals(ctx, o, &cleanup)
	if err != nil {
		return err
	}
	servers := append([]rival{{name: "ours", base: ours.URL, clients: oursClients, pid: ours.Pid()}}, rivals...)
	var rows []compareRow
	for _, p := range comparePaths {
		if o.paths != "" && !strings.Contains(","+o.paths+",", ","+p.name+",") {
			continue
		}
		row := compareRow{path: p.name, rps: map[string][]float64{}}
		for round := range o.rounds {
			for i := range servers {
				s := servers[(i+round)%len(servers)]
				clients := s.clients
				if p.anonymous {
					clients = anonymous(len(clients))
				}
				var rss func() int
				if s.name == "ours" {
					rss = ours.RSS
				}
				var profile <-chan error
				if o.pprofDir != "" && s.name == "ours" && round == 0 {
					profile = cpuProfile(o.pprofAddr, o.duration, filepath.Join(o.pprofDir, p.name+".pprof"))
				}
				r := drive(ctx, o.profile, s.base, clients, p, o.duration, rss, s.pid)
				if profile != nil {
					if err := <-profile; err != nil {
						return fmt.Errorf("%s profile: %w", p.name, err)
					}
				}
				if r.errors > 0 {
					return fmt.Errorf("%s on %s: %d requests failed", p.name, s.name, r.errors)
				}
				fmt.Printf("%-14s %-13s round %d %8.0f req/s  p99 %7.2f ms  %s\n",
					p.name, s.name, round+1, r.rps, ms(r.p99), r.cpu)
				row.rps[s.name] = append(row.rps[s.name], r.rps)
				row.peakKiB = max(row.peakKiB, r.peakKiB)
			}
		}
		rows = append(rows, row)
	}
	reportComparison(o, rows)
	return nil
}

func anonymous(n int) []*client {
	out := make([]*client, n)
	for i := range out {
		out[i] = &client{}
	}
	return out
}

// startRivals starts the floor twice (with and without the user lookup,
// on one seeded database) and, unless -django is empty, the Django design
// on a database seeded like ours.
func startRivals(ctx context.Context, o options, cleanup *[]func()) ([]rival, error) {
	var rivals []rival
	work, err := os.MkdirTemp("", "hc-rivals-")
	if err != nil {
		return nil, err
	}
	*cleanup = append(*cleanup, func() { _ = os.RemoveAll(work) })
	floor := filepath.Join(work, "floor")
	build := exec.CommandContext(ctx, "go", "build", "-o", floor, ".")
	build.Dir = o.floorDir
	if out, err := build.CombinedOutput(); err != nil {
		return rivals, fmt.Errorf("build the floor in %s: %v: %s", o.floorDir, err, out)
	}
	db := fmt.Sprintf("hc_floor_%d", time.Now().UnixNano()%1e9)
	drop, err := psql.CreateDatabase(o.pgHost, o.pgPort, db)
	if err != nil {
		return rivals, err
	}
	*cleanup = append(*cleanup, drop)
	dsn := pgconn{host: o.pgHost, port: o.pgPort, db: db}.url()
	pr := o.profile
	if out, err := exec.CommandContext(ctx, floor, "-setup", "-dsn", dsn, "-users", strconv.Itoa(pr.users),
		"-patients", strconv.Itoa(pr.patientsPerUser), "-doctors", strconv.Itoa(pr.doctors),
		"-mappings", strconv.Itoa(pr.assignmentsPerPatient)).CombinedOutput(); err != nil {
		return rivals, fmt.Errorf("floor setup: %v: %s", err, out)
	}
	const floorSecret = "floor-bench-secret"
	tokens, err := mint(ctx, floor, floorSecret, pr.users)
	if err != nil {
		return rivals, err
	}
	for _, lookup := range []bool{false, true} {
		r, err := startFloor(ctx, floor, dsn, lookup)
		*cleanup = append(*cleanup, r.stop)
		if err != nil {
			return rivals, err
		}
		r.clients = rivalClients(pr, o.conns, func(c *client) {
			if lookup {
				c.access = tokens[c.userID-1]
			} else {
				c.header = "X-Owner: " + strconv.Itoa(c.userID)
			}
		})
		rivals = append(rivals, r)
	}
	if o.djangoDir == "" {
		return rivals, nil
	}
	r, secret, err := startDjango(ctx, o)
	*cleanup = append(*cleanup, r.stop)
	if err != nil {
		return rivals, err
	}
	rivals = append(rivals, r)
	if tokens, err = mint(ctx, floor, secret, pr.users); err != nil {
		return rivals, err
	}
	rivals[len(rivals)-1].clients = rivalClients(pr, o.conns, func(c *client) { c.access = tokens[c.userID-1] })
	return rivals, nil
}

// rivalClients are the same accounts newClients logs in on ours.
func rivalClients(pr profile, n int, auth func(*client)) []*client {
	out := make([]*client, n)
	for i := range out {
		out[i] = &client{userID: 1 + i*(pr.users/n)}
		auth(out[i])
	}
	return out
}

// mint makes an HS256 access token per user, in simplejwt's format, with
// the floor's own minter.
func mint(ctx context.Context, floor, secret string, users int) ([]string, error) {
	out, err := exec.CommandContext(ctx, floor, "-mint", "1", "-mint-to", strconv.Itoa(users), "-secret", secret, "-ttl", "2h").Output()
	if err != nil {
		return nil, fmt.Errorf("mint tokens: %w", err)
	}
	tokens := strings.Fields(string(out))
	if len(tokens) != users {
		return nil, fmt.Errorf("minted %d tokens for %d users", len(tokens), users)
	}
	return tokens, nil
}

func startFloor(ctx context.Context, floor, dsn string, lookup bool) (rival, error) {
	none := rival{stop: func() {}}
	addr, err := serverproc.FreeAddr()
	if err != nil {
		return none, err
	}
	args := []string{"-addr", addr, "-dsn", dsn, "-pool", strconv.Itoa(floorPool)}
	name := "floor"
	if lookup {
		args, name = append(args, "-jwt-lookup"), "floor+lookup"
	}
	cmd := exec.CommandContext(ctx, floor, args...)
	if err := cmd.Start(); err != nil {
		return none, fmt.Errorf("start %s: %w", name, err)
	}
	r := rival{name: name, base: "http://" + addr, pid: cmd.Process.Pid,
		stop: func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }}
	return r, waitFor(ctx, r.base+"/healthz")
}

// djangoSecret is serve.sh's default SECRET_KEY, which signs its tokens.
const djangoSecret = "django-ref-0b8f2c1e9a7d4f3b8e6c5a4d3f2e1b0a9c8d7e6f5a4b3c2d1e0f"

// startDjango runs the Django design (serve.sh: gunicorn, 4 workers) on a
// database of its own, seeded with SQL like ours.
func startDjango(ctx context.Context, o options) (rival, string, error) {
	none := rival{stop: func() {}}
	db := fmt.Sprintf("hc_django_%d", time.Now().UnixNano()%1e9)
	addr, err := serverproc.FreeAddr()
	if err != nil {
		return none, "", err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.CommandContext(ctx, filepath.Join(o.djangoDir, "serve.sh"), port, db)
	cmd.Env = append(os.Environ(), "SECRET_KEY="+djangoSecret)
	out, err := cmd.Output()
	dropDB := func() {
		_, _ = psql.Run(o.pgHost, o.pgPort, "postgres", `DROP DATABASE IF EXISTS "`+db+`" WITH (FORCE)`)
	}
	if err != nil {
		dropDB()
		return none, "", fmt.Errorf("serve.sh: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		dropDB()
		return none, "", fmt.Errorf("serve.sh printed %q, not a PID", out)
	}
	r := rival{name: "django", base: "http://" + addr, stop: func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for range 100 {
			if syscall.Kill(pid, 0) != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		dropDB()
	}}
	if err := seedDjango(pgconn{host: o.pgHost, port: o.pgPort, db: db}, o.profile); err != nil {
		return r, "", err
	}
	return r, djangoSecret, waitFor(ctx, r.base+"/api/doctors/1/")
}

// seedDjango fills the Django design's tables as the floor's are filled:
// patient p of user u has id (u-1)*K+k, two assignments per patient.
func seedDjango(p pgconn, pr profile) error {
	n, k, d := strconv.Itoa(pr.users), strconv.Itoa(pr.patientsPerUser), strconv.Itoa(pr.doctors)
	statements := []string{
		`INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
		 SELECT g, '!', false, 'load'||g, '', '', 'load'||g||'@example.com', false, true, now() FROM generate_series(1, ` + n + `) g`,
		`INSERT INTO core_patient (id, created_by_id, first_name, last_name, email, dob, notes, created_at, updated_at)
		 SELECT (u-1)*` + k + `+j, u, 'First'||u||'_'||j, 'Last'||j, 'patient'||u||'_'||j||'@example.test',
		        date '1940-01-01' + ((u * 31 + j * 7) % 25000), 'Seeded patient '||j||' of user '||u||'. No known allergies.', now(), now()
		 FROM generate_series(1, ` + n + `) u, generate_series(1, ` + k + `) j`,
		`INSERT INTO core_doctor (id, first_name, last_name, email, specialization, created_at, updated_at)
		 SELECT g, 'Doc'||g, 'Tor'||g, 'doctor'||g||'@clinic.test',
		        (ARRAY['Cardiology','Dermatology','Neurology','Oncology','Pediatrics'])[1 + g % 5], now(), now()
		 FROM generate_series(1, ` + d + `) g`,
		`INSERT INTO core_patientdoctormapping (patient_id, doctor_id, created_at)
		 SELECT p.id, 1 + ((p.id * 7 + j * 13) % ` + d + `), now()
		 FROM core_patient p, generate_series(1, ` + strconv.Itoa(pr.assignmentsPerPatient) + `) j ORDER BY p.id, j
		 ON CONFLICT DO NOTHING`,
		`ANALYZE`,
	}
	for _, s := range statements {
		if _, err := psql.Run(p.host, p.port, p.db, s); err != nil {
			return fmt.Errorf("seed the Django design: %w", err)
		}
	}
	return nil
}

func waitFor(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if res, err := http.Get(url); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New(url + " did not answer 200 within 30s")
}

// compareRow is one path's req/s on every server, round by round.
type compareRow struct {
	path    string
	rps     map[string][]float64
	peakKiB int
}

// ratio is ours ÷ rival per round, its median and its range.
func (r compareRow) ratio(rival string) (median, lo, hi float64, ok bool) {
	ours, theirs := r.rps["ours"], r.rps[rival]
	if len(theirs) == 0 || len(theirs) != len(ours) {
		return 0, 0, 0, false
	}
	var ratios []float64
	for i := range ours {
		if theirs[i] == 0 {
			return 0, 0, 0, false // nothing answered within the round
		}
		ratios = append(ratios, ours[i]/theirs[i])
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], true
}

// compareTarget is the goal for ours ÷ rival: patient reads at two-thirds of the
// floor, other reads at 0.8 of it, every read 25 times the Django design.
func compareTarget(path, rival string) float64 {
	switch {
	case rival == "django":
		return 25
	case rival != "floor":
		return 0
	case strings.HasPrefix(path, "patient"):
		return 0.65
	default:
		return 0.8
	}
}

func reportComparison(o options, rows []compareRow) {
	fmt.Printf("\n## Beside the floor and the Django design: %d connections, %v per server and path, %d round(s), median and range of ours ÷ theirs\n\n",
		o.conns, o.duration, o.rounds)
	rivals := []string{"floor", "floor+lookup", "django"}
	fmt.Println("| path | ours req/s | floor | floor + lookup | Django | ours ÷ floor | ours ÷ floor + lookup | ours ÷ Django |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, row := range rows {
		fmt.Printf("| %s | %.0f", row.path, medianOf(row.rps["ours"]))
		for _, rv := range rivals {
			fmt.Printf(" | %.0f", medianOf(row.rps[rv]))
		}
		for _, rv := range rivals {
			m, lo, hi, ok := row.ratio(rv)
			if !ok {
				fmt.Print(" | –")
				continue
			}
			cell := fmt.Sprintf("%.2f (%.2f–%.2f)", m, lo, hi)
			if rv == "django" {
				cell = fmt.Sprintf("%.0f× (%.0f–%.0f)", m, lo, hi)
			}
			if t := compareTarget(row.path, rv); t > 0 && m < t {
				cell += " MISSED"
			}
			fmt.Print(" | " + cell)
		}
		fmt.Println(" |")
	}
	peak := 0
	for _, row := range rows {
		peak = max(peak, row.peakKiB)
	}
	fmt.Printf("\nours, peak RSS under the comparison: %.1f MiB (target < 64 MiB)\n", mib(peak))
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
