package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// server is the healthcare process under test.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
	// startup is from process start to the first 200 from /readyz.
	startup time.Duration
}

func start(ctx context.Context, bin, dbURL string, env ...string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{base: "http://" + addr, logs: &bytes.Buffer{}}
	s.cmd = exec.CommandContext(ctx, bin, "serve")
	s.cmd.Env = append(os.Environ(), "ADDR="+addr, "DATABASE_URL="+dbURL,
		"SECRET_KEY=loadtest-key-loadtest-key-loadtest-key", "ACCESS_TOKEN_LIFETIME=2h", "LOG_LEVEL=warn",
		"THROTTLE_AUTH=off", "THROTTLE_LOGIN_FAILURES=off", "THROTTLE_DOCTOR_WRITES=off")
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				s.startup = time.Since(began)
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("server not ready:\n%s", s.logs.String())
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

// rss is the process's resident set now (VmRSS), in KiB.
func (s *server) rss() int { return s.status("VmRSS:") }

// peakRSS is the process's high-water resident set (VmHWM), in KiB.
func (s *server) peakRSS() int { return s.status("VmHWM:") }

// status reads one KiB figure from /proc/<pid>/status.
func (s *server) status(field string) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kib, _ := strconv.Atoi(f[1])
			return kib
		}
	}
	return 0
}
