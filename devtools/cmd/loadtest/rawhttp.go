package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection that writes each request in
// one call and reads the answer into a reused buffer, as wrk does. The
// load generator shares the cores with the server and PostgreSQL, so what
// it spends is taken from what it measures; net/http's client costs about
// three times as much per request.
type conn struct {
	addr string
	nc   net.Conn
	r    *bufio.Reader
	req  []byte
	body []byte
	// header is one more header line for every request, if not empty.
	header string
}

func newConn(base string) *conn {
	return &conn{addr: strings.TrimPrefix(base, "http://")}
}

// do sends one request and returns the status and the body, which is valid
// until the next call.
func (c *conn) do(method, path, token string, body []byte) (int, []byte, error) {
	if c.nc == nil {
		nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, nil, err
		}
		c.nc, c.r = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	c.req = append(c.req[:0], method...)
	c.req = append(c.req, ' ')
	c.req = append(c.req, path...)
	c.req = append(c.req, " HTTP/1.1\r\nHost: localhost\r\n"...)
	if token != "" {
		c.req = append(c.req, "Authorization: Bearer "...)
		c.req = append(c.req, token...)
		c.req = append(c.req, "\r\n"...)
	}
	if c.header != "" {
		c.req = append(c.req, c.header...)
		c.req = append(c.req, "\r\n"...)
	}
	if body != nil {
		c.req = append(c.req, "Content-Type: application/json\r\nContent-Length: "...)
		c.req = strconv.AppendInt(c.req, int64(len(body)), 10)
		c.req = append(c.req, "\r\n"...)
	}
	c.req = append(c.req, "\r\n"...)
	c.req = append(c.req, body...)
	_ = c.nc.SetDeadline(time.Now().Add(30 * time.Second))
	status, err := c.exchange()
	if err != nil {
		c.close()
	}
	return status, c.body, err
}

func (c *conn) close() {
	if c.nc != nil {
		_ = c.nc.Close()
		c.nc = nil
	}
}

// exchange writes c.req and reads one response: a status line, headers,
// then a Content-Length or chunked body.
func (c *conn) exchange() (int, error) {
	if _, err := c.nc.Write(c.req); err != nil {
		return 0, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := -1, false, false
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
	c.body = c.body[:0]
	switch {
	case status == 204 || status == 304 || status < 200:
		// No body, whatever the headers say (RFC 9112, section 6.3).
	case chunked:
		err = c.readChunks()
	case length >= 0:
		err = c.readN(length)
	case closing:
		c.body, err = io.ReadAll(c.r)
	default:
		return 0, errors.New("response without a length")
	}
	if err == nil && closing {
		c.close()
	}
	return status, err
}

func (c *conn) readN(n int) error {
	start := len(c.body)
	c.body = slices.Grow(c.body, n)[:start+n]
	_, err := io.ReadFull(c.r, c.body[start:])
	return err
}

func (c *conn) readChunks() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimRight(line, "\r\n")), 16, 32)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size > 0 {
			if err := c.readN(int(size)); err != nil {
				return err
			}
		}
		if _, err := c.r.Discard(2); err != nil { // the chunk's CRLF
			return err
		}
		if size == 0 {
			return nil
		}
	}
}
