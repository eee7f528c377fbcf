package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// diskFull runs the embedded database on a small tmpfs of its own and
// fills it under a mixed load: writes and audited reads must answer 503
// with Retry-After (never 500) and /readyz 503; once space is freed, all
// recover by themselves, and every acknowledged create is on disk with its
// audit event, as a restarted server reads them. Mounting needs root (or
// CAP_SYS_ADMIN); without it the scenario is skipped.
func diskFull(ctx context.Context, bin string) error {
	dir, err := os.MkdirTemp("", "hc-diskfull-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=32m,mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		fmt.Printf("SKIP: diskfull: cannot mount a tmpfs (%v: %s)\n", err, strings.Join(strings.Fields(string(out)), " "))
		os.RemoveAll(dir)
		os.Exit(0)
	}
	defer func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			fmt.Printf("  umount %s: %v: %s\n", dir, err, out)
		}
	}()
	dbURL := "DATABASE_URL=sqlite://" + filepath.Join(dir, "healthcare.db")
	s, err := startServer(ctx, bin, dbURL, "REQUEST_TIMEOUT=5s")
	if err != nil {
		return err
	}
	defer s.Kill()
	tokens, err := newTokens(s.URL, 4)
	if err != nil {
		return err
	}
	quit := make(chan struct{})
	resc := make(chan []result, 1)
	go func() { resc <- load(keepAlive, s.URL, tokens, true, quit) }()
	halt := func() []result {
		if quit != nil {
			close(quit)
			quit = nil
			return <-resc
		}
		return nil
	}
	defer halt()
	time.Sleep(time.Second)

	filler := filepath.Join(dir, "filler")
	if err := fill(filler); err != nil {
		return err
	}
	full := time.Now()
	fmt.Println("  tmpfs filled")
	d, err := waitFor(s.URL+"/readyz", 503, 5*time.Second)
	if err != nil {
		return fmt.Errorf("readyz with the disk full: %w", err)
	}
	fmt.Printf("  /readyz 503 %v after the disk filled\n", d.Round(time.Millisecond))
	// The WAL may still have room in pages it reuses: go on until a write
	// needs space the disk does not have.
	fitted, err := expectUnavailable(s.URL, "POST", "/api/patients/", tokens[0], true)
	if err != nil {
		return err
	}
	if _, err := expectUnavailable(s.URL, "GET", "/api/patients/", tokens[0], false); err != nil {
		return err
	}

	time.Sleep(time.Second) // the load runs on against the full disk
	if _, err := waitFor(s.URL+"/readyz", 503, 0); err != nil {
		return fmt.Errorf("readyz with the disk still full: %w", err)
	}
	if err := os.Remove(filler); err != nil {
		return err
	}
	freed := time.Now()
	fmt.Printf("  space freed after %v full\n", freed.Sub(full).Round(time.Millisecond))
	if d, err = waitFor(s.URL+"/readyz", 200, 30*time.Second); err != nil {
		return fmt.Errorf("readyz once space was freed: %w", err)
	}
	fmt.Printf("  /readyz 200 %v after space was freed\n", d.Round(time.Millisecond))
	time.Sleep(time.Second)
	results := halt()
	for _, id := range fitted {
		results = append(results, result{status: 201, created: id})
	}

	counts := map[int]int{}
	var firstWrite time.Time
	for _, r := range results {
		counts[r.status]++
		if r.status == 500 {
			return fmt.Errorf("a 500 with the disk full; log:\n%s", tail(s.Logs()))
		}
		if r.status == 201 && r.start.After(freed) && (firstWrite.IsZero() || r.end.Before(firstWrite)) {
			firstWrite = r.end
		}
	}
	fmt.Printf("  statuses: %v (transport errors under status 0)\n", counts)
	if counts[503] == 0 {
		return errors.New("the load saw no 503 with the disk full")
	}
	if firstWrite.IsZero() {
		return errors.New("no write succeeded once space was freed")
	}
	fmt.Printf("  first write %v after space was freed\n", firstWrite.Sub(freed).Round(time.Millisecond))

	// Restart on the same file: what was acknowledged must be on disk.
	if err := s.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if exitErr := s.Wait(); exitErr != nil {
		return fmt.Errorf("exit after SIGTERM: %v; log:\n%s", exitErr, tail(s.Logs()))
	}
	s2, err := startServer(ctx, bin, dbURL)
	if err != nil {
		return err
	}
	defer s2.Kill()
	return checkPersistedAPI(s2.URL, tokens, results)
}

// fill writes a file until the filesystem has no space left.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xa5}, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return fmt.Errorf("fill the disk: %w", err)
		}
	}
}

// waitFor polls url until it answers want, and says how long that took.
func waitFor(url string, want int, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	last := 0
	for first := true; first || time.Since(start) < timeout; first = false {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if last = res.StatusCode; last == want {
				return time.Since(start), nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("still %d after %v, want %d", last, timeout, want)
}

// expectUnavailable repeats a request (a create when write is set) until
// it fails, checks that it failed with 503 service_unavailable and
// Retry-After, and returns the ids of the patients created before.
func expectUnavailable(base, method, path, token string, write bool) (created []int64, err error) {
	for i := 0; i < 5000; i++ {
		var body io.Reader
		if write {
			raw, _ := json.Marshal(map[string]any{"first_name": "Full", "last_name": "Disk",
				"email": fmt.Sprintf("full%d-%s@example.com", i, randomHex(3)), "dob": "1990-01-01"})
			body = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			return nil, err
		}
		req.Host = "localhost"
		req.Header.Set("Authorization", "Bearer "+token)
		if write {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := keepAlive.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s with the disk full: %w", method, path, err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode < 300 {
			if write {
				var p struct{ ID int64 }
				if err := json.Unmarshal(raw, &p); err != nil {
					return nil, fmt.Errorf("create with the disk full: %w", err)
				}
				created = append(created, p.ID)
			}
			continue
		}
		if res.StatusCode != 503 || !strings.Contains(string(raw), `"service_unavailable"`) || res.Header.Get("Retry-After") == "" {
			return nil, fmt.Errorf("%s %s with the disk full = %d %s (Retry-After %q)", method, path, res.StatusCode, raw, res.Header.Get("Retry-After"))
		}
		fmt.Printf("  %s %s: 503 service_unavailable, Retry-After %s, after %d that fit\n", method, path, res.Header.Get("Retry-After"), i)
		return created, nil
	}
	return nil, fmt.Errorf("%s %s kept succeeding with the disk full", method, path)
}

// checkPersistedAPI verifies through the API that every acknowledged 201
// of the load is there, each with its audit event.
func checkPersistedAPI(base string, tokens []string, results []result) error {
	patients, events := map[int64]bool{}, map[int64]bool{}
	for _, tok := range tokens {
		if err := eachResult(base, "/api/patients/?page_size=100", tok, func(r map[string]any) {
			patients[int64(r["id"].(float64))] = true
		}); err != nil {
			return err
		}
		if err := eachResult(base, "/api/audit/?action=patient.create&page_size=100", tok, func(r map[string]any) {
			if id, ok := r["object_id"].(float64); ok && r["outcome"] == "ok" {
				events[int64(id)] = true
			}
		}); err != nil {
			return err
		}
	}
	n := 0
	for _, r := range results {
		if r.created == 0 {
			continue
		}
		n++
		if !patients[r.created] {
			return fmt.Errorf("acknowledged patient %d is not in the database", r.created)
		}
		if !events[r.created] {
			return fmt.Errorf("acknowledged patient %d has no audit event", r.created)
		}
	}
	if n == 0 {
		return errors.New("no patient was created")
	}
	fmt.Printf("  %d acknowledged creates, all in the database with their audit events after a restart\n", n)
	return nil
}

// eachResult calls fn for every item of every page of a list.
func eachResult(base, path, token string, fn func(map[string]any)) error {
	for page := 1; ; page++ {
		st, body, err := call(keepAlive, base, "GET", path+"&page="+strconv.Itoa(page), token, nil)
		if err != nil || st != 200 {
			return fmt.Errorf("GET %s page %d: %d %v %v", path, page, st, body, err)
		}
		items, _ := body["results"].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				fn(m)
			}
		}
		if body["next"] == nil {
			return nil
		}
	}
}
