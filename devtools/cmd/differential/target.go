package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// target is one server under test and what it has handed out so far.
type target struct {
	name   string
	base   string
	client *http.Client
	ids    map[string]int64 // slot ("p3") -> this server's id
	slots  map[string]string
	tokens map[int]*tokens
}

type tokens struct{ access, refresh, previous string }

func newTarget(name, base string) *target {
	t := &target{name: name, base: strings.TrimRight(base, "/"),
		client: &http.Client{Timeout: 60 * time.Second,
			// Django answers a missing slash with a redirect: that is compared, not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	t.reset()
	return t
}

func (t *target) reset() {
	t.ids, t.slots, t.tokens = map[string]int64{}, map[string]string{}, map[int]*tokens{}
}

// missingID is what an unfilled slot resolves to: an id no server holds
// by then, the same on every server so that messages quoting it agree.
const missingID = 987654321

func (t *target) id(slot string) int64 {
	if id, ok := t.ids[slot]; ok {
		return id
	}
	return missingID
}

// slotOf names the slot of one of this server's ids of a kind ("p"), or
// "" if none holds it.
func (t *target) slotOf(kind string, id int64) string {
	return t.slots[kind+strconv.FormatInt(id, 10)]
}

var slotRef = regexp.MustCompile(`\{([pdmu][0-9]+)\}`)

func (t *target) token(r tokenRef) string {
	tk := t.tokens[r.User]
	if tk == nil {
		return "no.token.yet"
	}
	switch r.Which {
	case "access":
		return tk.access
	case "previous":
		if tk.previous != "" {
			return tk.previous
		}
		return tk.refresh
	}
	return tk.refresh
}

func (t *target) resolve(v any) any {
	switch r := v.(type) {
	case ref:
		if r.AsString {
			return strconv.FormatInt(t.id(r.Slot), 10)
		}
		return t.id(r.Slot)
	case tokenRef:
		return t.token(r)
	}
	return v
}

// answer is what a server said, raw.
type answer struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
}

// do sends s to the server and records what the answer hands out.
func (t *target) do(s step) (answer, error) {
	path := slotRef.ReplaceAllStringFunc(s.Path, func(m string) string {
		return strconv.FormatInt(t.id(m[1:len(m)-1]), 10)
	})
	u := t.base + path
	if s.Query != "" {
		u += "?" + s.Query
	}
	body, ctype, err := t.body(s)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequest(s.Method, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	// Both designs accept "localhost", and links in answers then agree.
	req.Host = "localhost"
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch kind, arg, _ := strings.Cut(s.Auth, ":"); kind {
	case "user":
		n, _ := strconv.Atoi(arg)
		req.Header.Set("Authorization", "Bearer "+t.token(tokenRef{n, "access"}))
	case "refresh":
		n, _ := strconv.Atoi(arg)
		req.Header.Set("Authorization", "Bearer "+t.token(tokenRef{n, "refresh"}))
	case "raw":
		req.Header.Set("Authorization", arg)
	}
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	began := time.Now()
	res, err := t.client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s: %s: %w", t.name, s, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s: %s: read: %w", t.name, s, err)
	}
	a := answer{Status: res.StatusCode, Header: res.Header, Body: raw, Elapsed: time.Since(began)}
	t.record(s, a)
	return a, nil
}

func (t *target) body(s step) ([]byte, string, error) {
	switch s.BodyKind {
	case "":
		return nil, s.ContentType, nil
	case "raw":
		return []byte(s.RawBody), s.ContentType, nil
	case "json":
		var b strings.Builder
		b.WriteByte('{')
		for i, f := range s.Body {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(f.Name)
			v, err := json.Marshal(t.resolve(f.Value))
			if err != nil {
				return nil, "", err
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		return []byte(b.String()), or(s.ContentType, "application/json"), nil
	case "form":
		vals := url.Values{}
		for _, f := range s.Body {
			vals.Add(f.Name, formValue(t.resolve(f.Value)))
		}
		return []byte(vals.Encode()), or(s.ContentType, "application/x-www-form-urlencoded"), nil
	case "multipart":
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		// A fixed boundary keeps the bytes sent identical on every server.
		if err := w.SetBoundary("differentialboundary0123456789"); err != nil {
			return nil, "", err
		}
		for _, f := range s.Body {
			if err := w.WriteField(f.Name, formValue(t.resolve(f.Value))); err != nil {
				return nil, "", err
			}
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), or(s.ContentType, w.FormDataContentType()), nil
	}
	return nil, "", fmt.Errorf("unknown body kind %q", s.BodyKind)
}

func formValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// record keeps the ids and tokens an answer hands out.
func (t *target) record(s step, a answer) {
	if a.Status/100 != 2 || len(a.Body) == 0 {
		return
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(a.Body))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return
	}
	if s.Creates != "" && a.Status == http.StatusCreated {
		if n, ok := out["id"].(json.Number); ok {
			if id, err := n.Int64(); err == nil {
				t.ids[s.Creates] = id
				t.slots[s.Creates[:1]+strconv.FormatInt(id, 10)] = s.Creates
			}
		}
	}
	user := s.LoginUser
	if user == 0 {
		user = s.RefreshUser
	}
	if user == 0 {
		return
	}
	tk := t.tokens[user]
	if tk == nil {
		tk = &tokens{}
		t.tokens[user] = tk
	}
	if acc, ok := out["access"].(string); ok {
		tk.access = acc
	}
	if ref, ok := out["refresh"].(string); ok {
		if s.RefreshUser != 0 {
			tk.previous = tk.refresh
		} else {
			tk.previous = ""
		}
		tk.refresh = ref
	}
}
