package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
)

// freshConn opens a TCP connection for every request, as a client behind a
// connection-per-request proxy does, so that every request passes through
// the server's listen backlog, where a careless stop resets it.
var freshConn = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// shutdownRounds is how many times the server is stopped under load: a
// connection caught in the backlog is a matter of timing, so one stop
// proves little.
const shutdownRounds = 5

// shutdownUnderLoad stops the server with SIGTERM under a steady mixed
// load, shutdownRounds times on one database. Every request begun before
// the signal must succeed. After it, a request may be refused (nothing
// was processed and the client knows it), but one that reached the server
// must be answered: a reset or an EOF leaves a POST's client unable to
// tell whether it happened. Every acknowledged create must be durable.
func shutdownUnderLoad(ctx context.Context, bin, host, port string) error {
	db := "hc_rel_" + randomHex(4)
	drop, err := psql.CreateDatabase(host, port, db)
	if err != nil {
		return err
	}
	defer drop()
	env := []string{fmt.Sprintf("DATABASE_URL=postgres://postgres@%s:%s/%s?sslmode=disable", host, port, db), "SHUTDOWN_DELAY=500ms"}
	var (
		tokens []string // the same accounts every round: the key and database persist
		all    []result
		failed int
	)
	for round := 1; round <= shutdownRounds; round++ {
		s, err := startServer(ctx, bin, env...)
		if err != nil {
			return fmt.Errorf("round %d: %w", round, err)
		}
		if tokens == nil {
			if tokens, err = newTokens(s.URL, 16); err != nil {
				s.Kill()
				return err
			}
		}
		results, signalled, stopped, err := terminateUnderLoad(s, tokens)
		if err != nil {
			return fmt.Errorf("round %d: %w", round, err)
		}
		c := tally(results, signalled)
		fmt.Printf("  round %d: %d requests, %d begun after SIGTERM: %d answered, %d refused, %d failed; exit 0 after %v\n",
			round, len(results), c.after, c.answered, c.refused, len(c.failed), stopped.Round(time.Millisecond))
		for _, f := range c.failed {
			fmt.Println("    " + f)
		}
		if len(c.failed) > 0 {
			fmt.Printf("  the server's log:\n%s\n", tail(s.Logs()))
		}
		failed += len(c.failed)
		all = append(all, results...)
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed in %d rounds", failed, shutdownRounds)
	}
	return checkPersisted(host, port, db, all)
}

// terminateUnderLoad runs the load on fresh connections, sends SIGTERM
// after a while and waits for the server to exit, then stops the load.
// It returns the load's requests, when the signal was sent and how long
// the server took to exit.
func terminateUnderLoad(s *serverproc.Server, tokens []string) ([]result, time.Time, time.Duration, error) {
	stop := make(chan struct{})
	resc := make(chan []result, 1)
	go func() { resc <- load(freshConn, s.URL, tokens, true, stop) }()
	time.Sleep(1500 * time.Millisecond)
	signalled := time.Now()
	if err := s.Signal(syscall.SIGTERM); err != nil {
		return nil, signalled, 0, fmt.Errorf("signal: %w", err)
	}
	select {
	case <-s.Exited():
	case <-time.After(30 * time.Second):
		s.Kill()
		return nil, signalled, 0, errors.New("the server did not exit within 30 s of SIGTERM")
	}
	stopped := time.Since(signalled)
	close(stop)
	results := <-resc
	if exitErr := s.Wait(); exitErr != nil {
		return nil, signalled, 0, fmt.Errorf("exit after SIGTERM: %v; log:\n%s", exitErr, tail(s.Logs()))
	}
	return results, signalled, stopped, nil
}

// counts sorts one round's requests by how they ended.
type counts struct {
	after, answered, refused int
	failed                   []string // each failure, described
}

func tally(results []result, signalled time.Time) counts {
	var c counts
	for _, r := range results {
		after := !r.start.Before(signalled)
		if after {
			c.after++
		}
		switch {
		case r.err == nil && r.status < 300:
			c.answered++
		case after && r.status == 0 && errors.Is(r.err, syscall.ECONNREFUSED):
			c.refused++
		default:
			c.failed = append(c.failed, fmt.Sprintf("%s begun %v after SIGTERM: status %d, %v",
				r.method, r.start.Sub(signalled).Round(time.Millisecond), r.status, r.err))
		}
	}
	return c
}
