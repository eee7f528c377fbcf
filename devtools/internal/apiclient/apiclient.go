// Package apiclient sends JSON requests to a running healthcare server,
// for the load and reliability drivers in devtools/cmd/.
package apiclient

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// Do sends body (if not nil) as JSON with the bearer token (if any) and
// returns the status and the whole response body. The Host header is
// "localhost", which the default ALLOWED_HOSTS accepts.
func Do(c *http.Client, base, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Host = "localhost"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}
