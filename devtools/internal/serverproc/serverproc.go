// Package serverproc runs a built healthcare binary as a process under
// test, for the drivers in devtools/cmd: start it on a free loopback port,
// wait until it is ready, read its logs and memory, stop it.
package serverproc

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
	"sync"
	"time"
)

// Server is one running "healthcare serve".
type Server struct {
	// URL is the server's base address, http://127.0.0.1:port.
	URL string
	// Startup is from process start to the first 200 from /readyz.
	Startup time.Duration

	cmd    *exec.Cmd
	logs   logBuffer
	exited chan struct{} // closed once the process has been waited for
	err    error         // the exit status, once exited is closed
}

// FreeAddr returns a loopback address nothing listens on.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Start runs bin serve on a free loopback port, in the temporary
// directory (so that no .env or relative database path of the caller's
// applies), with the throttles off and env added to this process's
// environment, and waits up to 20 s for /readyz to answer 200. The
// process is killed when ctx ends.
func Start(ctx context.Context, bin string, env ...string) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	return StartAt(ctx, addr, bin, env...)
}

// StartAt is Start on a given address, for drivers that must keep to a
// range of ports.
func StartAt(ctx context.Context, addr, bin string, env ...string) (*Server, error) {
	s := &Server{URL: "http://" + addr, exited: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, bin, "serve")
	s.cmd.Env = append(os.Environ(), "ADDR="+addr,
		"THROTTLE_AUTH=off", "THROTTLE_LOGIN_FAILURES=off", "THROTTLE_DOCTOR_WRITES=off")
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	s.cmd.Dir = os.TempDir()
	began := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	// Polled often, since Startup is reported against a 200 ms target.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if res, err := http.Get(s.URL + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				s.Startup = time.Since(began)
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("server exited before it was ready: %v; log:\n%s", s.err, s.Logs())
		default:
		}
	}
	s.Kill()
	return nil, fmt.Errorf("server not ready; log:\n%s", s.Logs())
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return strings.TrimPrefix(s.URL, "http://") }

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Logs is everything the server has written to stdout and stderr so far.
func (s *Server) Logs() string { return s.logs.String() }

// Signal sends sig to the server.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Exited is closed when the server has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Wait waits for the server to exit and returns its exit status, as often
// as it is called.
func (s *Server) Wait() error {
	<-s.exited
	return s.err
}

// Kill kills the server and waits for it to exit.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Stop interrupts the server, as Ctrl-C does, and kills it if it has not
// exited 20 s later.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.Kill()
	}
}

// RSS is the server's resident set now (VmRSS), in KiB, or 0 if it cannot
// be read.
func (s *Server) RSS() int { return s.status("VmRSS:") }

// PeakRSS is the server's high-water resident set (VmHWM), in KiB, or 0 if
// it cannot be read.
func (s *Server) PeakRSS() int { return s.status("VmHWM:") }

// status reads one KiB figure from /proc/<pid>/status.
func (s *Server) status(field string) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
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

// logBuffer is written by the process's output copier while a driver may
// read it, on a failure, before the process has exited. It keeps the last
// maxLog bytes or so: a server under load with its access log on writes
// tens of megabytes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const maxLog = 1 << 20

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len()+len(p) > maxLog {
		keep := b.buf.Bytes()[b.buf.Len()/2:]
		b.buf = *bytes.NewBuffer(append([]byte(nil), keep...))
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
