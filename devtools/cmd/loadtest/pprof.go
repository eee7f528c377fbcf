package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// cpuProfile fetches the server's CPU profile (PPROF on addr) over the
// measured part of a drive of d, and writes it to file.
func cpuProfile(addr string, d time.Duration, file string) <-chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(warmUp(d))
		res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(1, int(d.Seconds()))))
		if err != nil {
			done <- err
			return
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			done <- fmt.Errorf("profiler answered %s", res.Status)
			return
		}
		f, err := os.Create(file)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, res.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	return done
}
