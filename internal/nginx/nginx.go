// Package nginx runs Debian's nginx on loopback as a load balancer in front
// of server instances, for the scale-out check and the test suite's
// balanced mode.
package nginx

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Balancer is one nginx process spreading requests round-robin over its
// upstreams.
type Balancer struct {
	cmd *exec.Cmd
	dir string
	// URL is the balancer's base address, http://127.0.0.1:port.
	URL string
}

// Available reports whether an nginx binary is on PATH.
func Available() bool {
	_, err := exec.LookPath("nginx")
	return err == nil
}

// Start runs nginx in front of the upstreams (host:port each) and waits
// until it answers /healthz through them.
func Start(upstreams ...string) (*Balancer, error) {
	dir, err := os.MkdirTemp("", "hc-nginx-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(config(dir, addr, upstreams)), 0o600); err != nil {
		return nil, err
	}
	b := &Balancer{dir: dir, URL: "http://" + addr}
	b.cmd = exec.Command("nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	b.cmd.Stderr = os.Stderr
	if err := b.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		req, _ := http.NewRequest("GET", b.URL+"/healthz", nil)
		req.Host = "localhost"
		if res, err := client.Do(req); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == 200 {
				return b, nil
			}
		}
	}
	b.Stop()
	return nil, errors.New("nginx did not come up")
}

// config is a production-like proxy: HTTP/1.1 keep-alive upstreams, the
// client's Host and address passed on, and limits on bodies and headers
// above the server's, so that the server's are the ones that apply.
func config(dir, addr string, upstreams []string) string {
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "    server %s;\n", u)
	}
	return `worker_processes 1;
pid ` + filepath.Join(dir, "nginx.pid") + `;
error_log ` + filepath.Join(dir, "error.log") + ` warn;
events { worker_connections 1024; }
http {
  access_log off;
  server_tokens off;
  client_max_body_size 0;
  large_client_header_buffers 4 256k;
  client_body_temp_path ` + dir + `/body;
  proxy_temp_path ` + dir + `/proxy;
  fastcgi_temp_path ` + dir + `/fastcgi;
  uwsgi_temp_path ` + dir + `/uwsgi;
  scgi_temp_path ` + dir + `/scgi;
  upstream api {
` + servers.String() + `    keepalive 64;
  }
  server {
    listen ` + addr + `;
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Request-ID $request_id;
    }
  }
}
`
}

// Stop kills nginx and removes its files.
func (b *Balancer) Stop() {
	if b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
	}
	_ = os.RemoveAll(b.dir)
}
