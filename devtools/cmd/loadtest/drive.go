package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/apiclient"
)

// client is one connection's identity: a seeded account and its tokens.
type client struct {
	userID  int
	access  string
	refresh string
	seq     int
	// header, when set, is one more header line sent with every request
	// (the plain floor's X-Owner, which stands for no authentication).
	header string
}

func (c *client) patient(pr profile) int {
	return (c.userID-1)*pr.patientsPerUser + 1 + rand.IntN(pr.patientsPerUser)
}

var transport = &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256, IdleConnTimeout: time.Minute}

var httpClient = &http.Client{Transport: transport, Timeout: 30 * time.Second}

func do(base, method, path, token string, body any) (int, []byte, error) {
	return apiclient.Do(httpClient, base, method, path, token, body)
}

// newClients logs in one seeded account per connection, 16 at a time: a
// burst of logins, whose memory the whole run's high-water mark shows,
// queued at the server's hashing slots but well inside its wait limit.
func newClients(base string, pr profile, n int) ([]*client, error) {
	out := make([]*client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	burst := make(chan struct{}, 16)
	for i := range out {
		wg.Go(func() {
			burst <- struct{}{}
			defer func() { <-burst }()
			uid := 1 + i*(pr.users/n)
			status, raw, err := do(base, "POST", "/api/auth/login/", "", map[string]any{"username": fmt.Sprintf("load%d", uid), "password": loadPassword})
			if err != nil || status != 200 {
				errs[i] = fmt.Errorf("login load%d: %d %s %v", uid, status, raw, err)
				return
			}
			var tok struct{ Access, Refresh string }
			if errs[i] = json.Unmarshal(raw, &tok); errs[i] == nil {
				out[i] = &client{userID: uid, access: tok.Access, refresh: tok.Refresh}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// pathResult is what one path achieved, beside its ceiling.
type pathResult struct {
	name     string
	write    bool
	requests int
	errors   int
	rps      float64
	p50, p99 time.Duration
	ceiling  float64 // pgbench transactions per second
	peakKiB  int     // the server's highest resident set while measured
	// cpu is what a request cost in CPU: the server's process (0 if not
	// sampled), PostgreSQL's and the whole machine's (the load generator
	// included).
	cpu cpuPerRequest
	// ratios are every round's API / ceiling, when there were several.
	ratios []float64
}

func (r pathResult) ratio() float64 {
	if r.ceiling == 0 {
		return 0
	}
	return r.rps / r.ceiling
}

// median is the round whose ratio is the median, with the peak RSS and the
// errors of all rounds, and every round's ratio.
func median(rounds []pathResult) pathResult {
	sorted := slices.Clone(rounds)
	slices.SortFunc(sorted, func(a, b pathResult) int { return cmp.Compare(a.ratio(), b.ratio()) })
	m := sorted[len(sorted)/2]
	m.errors = 0
	for _, r := range rounds {
		m.peakKiB = max(m.peakKiB, r.peakKiB)
		m.errors += r.errors
		if len(rounds) > 1 {
			m.ratios = append(m.ratios, r.ratio())
		}
	}
	return m
}

func (r pathResult) line() string {
	return fmt.Sprintf("%-15s %9.0f req/s  p50 %7.2fms  p99 %7.2fms  errors %d  RSS %5.1f MiB  ceiling %9.0f tps  ratio %5.1f%%",
		r.name, r.rps, ms(r.p50), ms(r.p99), r.errors, mib(r.peakKiB), r.ceiling, 100*r.ratio())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// warmUp is how long each path runs before it is measured: connections
// open, plans get cached and the garbage collector finds its pace.
func warmUp(d time.Duration) time.Duration { return min(time.Second, d/4) }

// drive runs one path on every client for a warm-up and then d, and
// measures the d. rss, if not nil, samples the server's resident set.
// drive sends p's requests from every client for d after a warm-up; pid,
// if not 0, is the server's process, whose CPU per request it measures.
func drive(ctx context.Context, pr profile, base string, clients []*client, p hotPath, d time.Duration, rss func() int, pid int) pathResult {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		wg        sync.WaitGroup
	)
	start := time.Now().Add(warmUp(d))
	deadline := start.Add(d)
	peak := make(chan int, 1)
	go func() { peak <- samplePeak(ctx, rss, start, deadline) }()
	cpuAtStart := make(chan cpuSample, 1)
	go func() { time.Sleep(time.Until(start)); cpuAtStart <- sampleCPU(pid) }()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := newConn(base)
			hc.header = c.header
			defer hc.close()
			var local []time.Duration
			bad := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				method, path, body := p.build(c, pr)
				var raw []byte
				if body != nil {
					raw, _ = json.Marshal(body)
				}
				t := time.Now()
				status, raw, err := hc.do(method, path, c.access, raw)
				measured := !t.Before(start)
				if measured {
					local = append(local, time.Since(t))
				}
				if err != nil || status >= 300 {
					if measured {
						bad++
					}
					if bad <= 3 {
						fmt.Fprintf(os.Stderr, "%s: %s %s: %d %s %v\n", p.name, method, path, status, raw, err)
					}
					continue
				}
				if p.name == "auth_refresh" {
					var tok struct{ Access, Refresh string }
					if json.Unmarshal(raw, &tok) == nil {
						c.access, c.refresh = tok.Access, tok.Refresh
					}
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := sampleCPU(pid).perRequest(<-cpuAtStart, float64(len(latencies)))
	slices.Sort(latencies)
	return pathResult{name: p.name, write: p.write, requests: len(latencies), errors: errs,
		rps: float64(len(latencies)-errs) / elapsed.Seconds(), p50: percentile(latencies, 0.50), p99: percentile(latencies, 0.99),
		peakKiB: <-peak, cpu: cpu}
}

// samplePeak reads rss every 10 ms from start to end and returns the most.
func samplePeak(ctx context.Context, rss func() int, start, end time.Time) int {
	if rss == nil {
		return 0
	}
	time.Sleep(time.Until(start))
	peak := 0
	for time.Now().Before(end) && ctx.Err() == nil {
		peak = max(peak, rss())
		time.Sleep(10 * time.Millisecond)
	}
	return peak
}

// pgbenchCeiling runs the path's SQL with pgbench at the same concurrency.
func pgbenchCeiling(pg pgconn, pr profile, p hotPath, conns int, d time.Duration) (float64, error) {
	dir, err := os.MkdirTemp("", "hc-pgbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, p.name+".sql")
	if err := os.WriteFile(script, []byte(p.script(pr)), 0o600); err != nil {
		return 0, err
	}
	secs := strconv.Itoa(max(1, int(d.Seconds())))
	out, err := exec.Command("pgbench", "-h", pg.host, "-p", pg.port, "-U", "postgres", "-n", "-M", "prepared",
		"-c", strconv.Itoa(conns), "-j", "2", "-T", secs, "-f", script, pg.db).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench output without tps: %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
