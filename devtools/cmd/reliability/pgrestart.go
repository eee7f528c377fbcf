package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
)

// cluster is a PostgreSQL cluster of the test's own, on a free port, so that
// restarting it touches nothing shared.
type cluster struct {
	dir, port, bin string
}

// asPostgres runs a PostgreSQL tool as the postgres user when we are root:
// the server refuses to run as root.
func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func newCluster() (*cluster, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return nil, errors.New("initdb not found under /usr/lib/postgresql")
	}
	sort.Strings(matches)
	addr, err := serverproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	c := &cluster{bin: filepath.Dir(matches[len(matches)-1]), port: port}
	dir, err := os.MkdirTemp("", "hc-pgrestart-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	if out, err := asPostgres(filepath.Join(c.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	return c, c.ctl("start")
}

func (c *cluster) ctl(action string, extra ...string) error {
	args := append([]string{action, "-D", filepath.Join(c.dir, "data"), "-w", "-t", "30", "-l", filepath.Join(c.dir, "log"),
		"-o", fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1", c.port, c.dir)}, extra...)
	if out, err := asPostgres(filepath.Join(c.bin, "pg_ctl"), args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %v: %s", action, err, out)
	}
	return nil
}

func (c *cluster) remove() {
	_ = c.ctl("stop", "-m", "immediate")
	_ = os.RemoveAll(c.dir)
}

// restartUnderLoad restarts PostgreSQL twice under a write load: no 500,
// no request past its deadline, every acknowledged create durable with its
// audit event, and writes succeeding again within 5 s of each return.
func restartUnderLoad(ctx context.Context, bin string) error {
	c, err := newCluster()
	if err != nil {
		return err
	}
	defer c.remove()
	if _, err := psql.Run("127.0.0.1", c.port, "postgres", "CREATE DATABASE healthcare"); err != nil {
		return err
	}
	const requestTimeout = 5 * time.Second
	s, err := startServer(ctx, bin, fmt.Sprintf("DATABASE_URL=postgres://postgres@127.0.0.1:%s/healthcare?sslmode=disable&connect_timeout=2", c.port),
		"REQUEST_TIMEOUT="+requestTimeout.String())
	if err != nil {
		return err
	}
	defer s.Kill()
	tokens, err := newTokens(s.URL, 8)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	resc := make(chan []result, 1)
	go func() { resc <- load(keepAlive, s.URL, tokens, false, stop) }()

	var back []time.Time // when the database answered again
	for _, mode := range []string{"fast", "immediate"} {
		time.Sleep(2 * time.Second)
		fmt.Printf("  pg_ctl restart -m %s\n", mode)
		if err := c.ctl("restart", "-m", mode); err != nil {
			close(stop)
			<-resc
			return err
		}
		back = append(back, time.Now())
	}
	time.Sleep(3 * time.Second)
	close(stop)
	results := <-resc

	counts := map[int]int{}
	for _, r := range results {
		counts[r.status]++
		if r.status == 500 {
			return fmt.Errorf("a 500 during the restarts; log:\n%s", tail(s.Logs()))
		}
		if d := r.end.Sub(r.start); d > requestTimeout+2*time.Second {
			return fmt.Errorf("a request hung for %v (deadline %v)", d, requestTimeout)
		}
	}
	fmt.Printf("  statuses: %v (transport errors under status 0)\n", counts)
	for i, t := range back {
		var first time.Time
		for _, r := range results {
			if r.status == 201 && r.start.After(t) && (first.IsZero() || r.end.Before(first)) {
				first = r.end
			}
		}
		if first.IsZero() {
			return fmt.Errorf("no write succeeded after restart %d", i+1)
		}
		fmt.Printf("  restart %d: first write %v after the database was back\n", i+1, first.Sub(t).Round(time.Millisecond))
		if first.Sub(t) > 5*time.Second {
			return fmt.Errorf("recovery took %v after restart %d, want under 5 s", first.Sub(t), i+1)
		}
	}
	return checkPersisted("127.0.0.1", c.port, "healthcare", results)
}
