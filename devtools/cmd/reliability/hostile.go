package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clinicapi/healthcare/devtools/internal/psql"
)

// hostileBodies are the worst 1 MiB bodies an anonymous client can send to
// a route that reads one: many keys, deep nesting, one huge value in a key
// the route reads, and one in a key it does not.
func hostileBodies() map[string][]byte {
	const size = 1<<20 - 64
	keys := bytes.NewBufferString("{")
	for i := 0; keys.Len() < size; i++ {
		if i > 0 {
			keys.WriteByte(',')
		}
		keys.WriteString(`"` + strconv.Itoa(i) + `":0`)
	}
	keys.WriteByte('}')
	depth := 9000 // under the decoder's limit of 10,000, so it is parsed
	nested := `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `,"b":"` +
		strings.Repeat("x", size-2*depth) + `"}`
	return map[string][]byte{
		"many keys":        keys.Bytes(),
		"deep nesting":     []byte(nested),
		"huge read value":  []byte(`{"refresh":"` + strings.Repeat("A", size-1100) + `","username":"` + strings.Repeat("B", 1000) + `"}`),
		"huge other value": []byte(`{"x":"` + strings.Repeat("A", size) + `"}`),
	}
}

// hostile runs the hostile bodies against a server on each database.
func hostile(ctx context.Context, bin, pgHost, pgPort string) error {
	dir, err := os.MkdirTemp("", "hostile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := "hc_hostile_" + randomHex(4)
	drop, err := psql.CreateDatabase(pgHost, pgPort, db)
	if err != nil {
		return err
	}
	defer drop()
	for _, url := range []string{"sqlite://" + filepath.Join(dir, "h.db"),
		fmt.Sprintf("postgres://postgres@%s:%s/%s?sslmode=disable", pgHost, pgPort, db)} {
		fmt.Println(" ", strings.SplitN(url, ":", 2)[0])
		if err := hostileOn(ctx, bin, url); err != nil {
			return err
		}
	}
	return nil
}

// hostileOn sends each hostile body to every route that reads a body
// before authentication, 48 at once, twice, and checks that every answer
// is a 4xx or 503 and that the server's peak resident memory stays under
// 200 MiB.
func hostileOn(ctx context.Context, bin, url string) error {
	s, err := startServer(ctx, bin, "DATABASE_URL="+url)
	if err != nil {
		return err
	}
	defer s.Kill()
	routes := []string{"/api/auth/logout/", "/api/auth/login/", "/api/auth/refresh/", "/api/auth/register/"}
	c := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 48}}
	bad := 0
	for name, body := range hostileBodies() {
		for _, route := range routes {
			statuses := map[int]int{}
			for range 2 {
				for st, n := range burst(c, s.URL+route, body, 48) {
					statuses[st] += n
					if st != 503 && (st < 400 || st > 499) {
						bad += n
					}
				}
			}
			fmt.Printf("  %-16s %-20s statuses %v\n", name, route, statuses)
		}
	}
	peak := s.PeakRSS()
	if peak == 0 {
		return errors.New("cannot read the server's peak RSS")
	}
	fmt.Printf("  server peak RSS %.1f MiB\n", float64(peak)/(1<<10))
	if bad > 0 {
		return fmt.Errorf("%d answers were neither a 4xx nor 503", bad)
	}
	if peak > 200<<10 {
		return fmt.Errorf("peak RSS %.1f MiB, over 200 MiB", float64(peak)/(1<<10))
	}
	return nil
}

// burst posts body to url n times at once and counts the statuses; 0
// stands for a request that got no answer.
func burst(c *http.Client, url string, body []byte, n int) map[int]int {
	var (
		mu  sync.Mutex
		out = map[int]int{}
		wg  sync.WaitGroup
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := 0
			req, err := http.NewRequest("POST", url, bytes.NewReader(body))
			if err == nil {
				req.Host = "localhost"
				req.Header.Set("Content-Type", "application/json")
				if res, err := c.Do(req); err == nil {
					st = res.StatusCode
					res.Body.Close()
				}
			}
			mu.Lock()
			out[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
