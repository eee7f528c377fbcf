package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The load generator's client must read every framing the server may use,
// or a benchmark would count the server's answers as errors.
func TestConnReadsEveryFraming(t *testing.T) {
	big := strings.Repeat("x", 10_000)
	mux := http.NewServeMux()
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, big[:5000])
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, big[5000:])
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(r.Header.Get("Authorization") + " " + string(body)))
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := newConn(srv.URL)
	defer c.close()
	for _, tc := range []struct {
		method, path, token, body string
		status                    int
		want                      string
	}{
		{"GET", "/length", "", "", 200, "hello"},
		{"GET", "/chunked", "", "", 200, big},
		{"DELETE", "/empty", "", "", 204, ""},
		{"POST", "/echo", "tok", `{"a":1}`, 201, `Bearer tok {"a":1}`},
		{"GET", "/close", "", "", 200, "bye"},
		{"GET", "/length", "", "", 200, "hello"}, // after the server closed: a new connection
		{"GET", "/missing", "", "", 404, "404 page not found\n"},
	} {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		status, got, err := c.do(tc.method, tc.path, tc.token, body)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		if status != tc.status || string(got) != tc.want {
			t.Errorf("%s %s = %d %.40q, want %d %.40q", tc.method, tc.path, status, got, tc.status, tc.want)
		}
	}
}
