package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestServeRefusesUnsafeConfiguration(t *testing.T) {
	for _, env := range []map[string]string{
		{"SECRET_KEY": "your-super-secret-key"},
		{"SECRET_KEY": "short"},
		{"SECRET_KEY": strings.Repeat("k", 40), "ALLOWED_HOSTS": "*"},
	} {
		env["DATABASE_URL"] = sqlstoretest.SQLiteURL(t)
		env["ADDR"] = "127.0.0.1:0"
		err := run(context.Background(), nil, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "refusing to start") {
			t.Errorf("serve with %v = %v, want a refusal", env, err)
		}
	}
	// DEBUG lets a developer run with a toy key, loudly.
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "SECRET_KEY": "short", "DEBUG": "true"}
	_, logs, stop := startServer(t, env)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "unsafe configuration") {
		t.Errorf("no warning logged for an unsafe configuration under DEBUG")
	}
}

func TestCheckCommand(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "SECRET_KEY": "your-super-secret-key", "ALLOWED_HOSTS": "*"}
	err := run(context.Background(), []string{"check"}, func(k string) string { return env[k] }, nil, &out, io.Discard)
	if err == nil {
		t.Fatal("check passed an unsafe configuration")
	}
	for _, want := range []string{"published example", "ALLOWED_HOSTS", "pending"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	env = map[string]string{"DATABASE_URL": sqlstoretest.URL(t, "postgres"), "SECRET_KEY": strings.Repeat("k", 40)}
	if err := run(context.Background(), []string{"check"}, func(k string) string { return env[k] }, nil, &out, io.Discard); err != nil {
		t.Errorf("check of a safe, migrated setup = %v:\n%s", err, out.String())
	}
	out.Reset()
	env = map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?connect_timeout=2", "SECRET_KEY": strings.Repeat("k", 40)}
	if err := run(context.Background(), []string{"check"}, func(k string) string { return env[k] }, nil, &out, io.Discard); err == nil || !strings.Contains(out.String(), "database:") {
		t.Errorf("check with no database = %v:\n%s", err, out.String())
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile,
		"ALLOWED_HOSTS": "api.example.com,127.0.0.1"}
	env["ADDR"] = "127.0.0.1:0"
	env["LOG_FORMAT"] = "json"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, nil, io.Discard, logs) }()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		addr = listenAddr(logs.String())
	}
	if addr == "" {
		t.Fatalf("no listening line:\n%s", logs.String())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get("https://" + addr + "/api/doctors/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("over TLS: status %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	// The container health check, under the settings production uses: TLS
	// on, and ALLOWED_HOSTS naming only the public host.
	probeEnv := map[string]string{"ADDR": addr, "TLS_CERT_FILE": certFile, "ALLOWED_HOSTS": "api.example.com"}
	if err := run(ctx, []string{"probe"}, func(k string) string { return probeEnv[k] }, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("probe under TLS and ALLOWED_HOSTS=api.example.com = %v", err)
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if res, err := old.Get("https://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestSlowClientCut trickles a request's headers byte by byte: the server
// must hang up within its ReadHeaderTimeout, not wait forever.
func TestSlowClientCut(t *testing.T) {
	env := map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t), "HTTP_READ_HEADER_TIMEOUT": "1s"}
	base, _, _ := startServer(t, env)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	request := "GET /api/doctors/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + strings.Repeat("a", 200)
	closed := false
	for i := 0; i < len(request) && time.Since(start) < 10*time.Second; i++ {
		if _, err := conn.Write([]byte{request[i]}); err != nil {
			closed = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !closed {
		// The write side may not notice; a read must see the close.
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := conn.Read(make([]byte, 1))
		closed = err != nil
	}
	if elapsed := time.Since(start); !closed || elapsed > 4*time.Second {
		t.Errorf("connection closed = %v after %v, want closed within ~1s", closed, elapsed)
	}
}

// TestHugeHeadersRefused: 100 KB of headers never reach a handler.
func TestHugeHeadersRefused(t *testing.T) {
	base, _, _ := startServer(t, map[string]string{"DATABASE_URL": sqlstoretest.SQLiteURL(t)})
	r, err := http.NewRequest("GET", base+"/api/doctors/", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Big", strings.Repeat("b", 100<<10))
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KB of headers: status %d, want 431", res.StatusCode)
	}
}
