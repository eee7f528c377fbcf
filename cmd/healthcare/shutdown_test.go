package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// heldListener holds Accept until released, so that connections queue in
// the kernel's backlog as they do when the accept loop falls behind.
type heldListener struct {
	net.Listener
	waiting chan struct{} // closed when Accept is first called
	release chan struct{}
	once    sync.Once
}

func (h *heldListener) Accept() (net.Conn, error) {
	h.once.Do(func() { close(h.waiting) })
	<-h.release
	return h.Listener.Accept()
}

// TestStopAnswersTheBacklog queues connections in the backlog, each with
// a request, and stops the server: every one must be answered whole, with
// Connection: close, and then closed cleanly, never reset. One client
// sends its request only once the listener has closed, because net/http
// drops a request it reads after Shutdown has begun.
func TestStopAnswersTheBacklog(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[useTLS], func(t *testing.T) {
			ln, err := listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			held := &heldListener{Listener: ln, waiting: make(chan struct{}), release: make(chan struct{})}
			conns := newConnTracker()
			srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, ConnState: conns.track,
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })}
			served := make(chan error, 1)
			var clientTLS *tls.Config
			if useTLS {
				certFile, keyFile, pool := selfSigned(t, t.TempDir())
				clientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
				go func() { served <- srv.ServeTLS(held, certFile, keyFile) }()
			} else {
				go func() { served <- srv.Serve(held) }()
			}
			<-held.waiting

			const n = 64
			queued := make([]net.Conn, n)
			for i := range queued {
				if queued[i], err = net.Dial("tcp", addr); err != nil {
					t.Fatalf("dial %d: %v", i, err)
				}
			}
			drained := make(chan struct{}) // the late client's cue
			errs := make(chan error, n)
			for i, c := range queued {
				start := make(chan struct{})
				if i == 0 {
					start = drained
				} else {
					close(start)
				}
				go func() { errs <- exchange(c, clientTLS, start) }()
			}
			logs := &syncBuffer{}
			stopped := make(chan error, 1)
			go func() {
				stopped <- stopServing(srv, ln, served, conns, 10*time.Second, slog.New(slog.NewJSONHandler(logs, nil)))
			}()
			for ln.until.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			close(held.release)
			for !strings.Contains(logs.String(), `"msg":"listener drained"`) {
				time.Sleep(time.Millisecond)
			}
			close(drained)

			failed := 0
			for range n {
				if err := <-errs; err != nil {
					failed++
					t.Error(err)
				}
			}
			if err := <-stopped; err != nil {
				t.Errorf("stopServing = %v", err)
			}
			if want := fmt.Sprintf(`"accepted":%d`, n); !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %s:\n%s", want, logs.String())
			}
			if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("dial after the stop = %v, want connection refused", err)
			}
			if failed > 0 {
				t.Errorf("%d of %d queued connections went unanswered", failed, n)
			}
		})
	}
}

// exchange sends a POST on c once start is closed, and checks that the
// answer is whole and says Connection: close, and that the server then
// hangs up cleanly.
func exchange(c net.Conn, tlsConf *tls.Config, start <-chan struct{}) error {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	if tlsConf != nil {
		tc := tls.Client(c, tlsConf)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		c = tc
	}
	<-start
	if _, err := io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"); err != nil {
		return fmt.Errorf("write the request: %w", err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("read the answer's body: %w", err)
	}
	if res.StatusCode != 200 || string(body) != "hello" || !res.Close {
		return fmt.Errorf("answer %d %q, Connection: close %v; want 200 \"hello\", true", res.StatusCode, body, res.Close)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return fmt.Errorf("after the answer: %v, want EOF", err)
	}
	return nil
}
