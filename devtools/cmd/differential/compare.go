package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// comparedHeaders are the headers clients read.
var comparedHeaders = []string{"Content-Type", "WWW-Authenticate", "Allow", "Retry-After"}

// view is an answer with what legitimately differs normalised away.
type view struct {
	Status  int
	Headers map[string]string
	JSON    value  // the body, if it is JSON
	Text    string // the body otherwise
}

func (v view) body() string {
	if v.JSON != nil {
		return encode(v.JSON)
	}
	return v.Text
}

// normalise turns a's ids into their slots, timestamps and tokens into
// placeholders, links into paths, and sorts list results where the
// request leaves their order undefined.
func normalise(t *target, s step, a answer) view {
	v := view{Status: a.Status, Headers: map[string]string{}}
	for _, h := range comparedHeaders {
		if x := a.Header.Values(h); len(x) > 0 {
			v.Headers[h] = strings.Join(x, ", ")
		}
	}
	if s.Method == "HEAD" || len(a.Body) == 0 {
		return v
	}
	parsed, err := parseJSON(a.Body)
	if err != nil || parsed == nil {
		v.Text = summariseText(a.Body)
		return v
	}
	n := normaliser{t: t}
	v.JSON = n.walk(parsed, kindOfRoute(s), "")
	if o, ok := v.JSON.(*object); ok {
		if res, ok := o.get("results"); ok {
			if list, ok := res.([]value); ok {
				o.set("results", sortTies(list, s.Query))
			}
		}
	}
	return v
}

// summariseText keeps a non-JSON body short: Django's HTML pages differ
// from ours in every byte, and their kind is what matters.
func summariseText(b []byte) string {
	s := string(b)
	if strings.Contains(strings.ToLower(s), "<html") || strings.HasPrefix(strings.TrimSpace(s), "<!") {
		if m := regexp.MustCompile(`(?is)<title>(.*?)</title>`).FindStringSubmatch(s); m != nil {
			return "<html: " + strings.TrimSpace(m[1]) + ">"
		}
		return "<html>"
	}
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// kindOfRoute is the kind of record a route's ids name: the "id" of its
// objects is a patient (p), doctor (d), assignment (m) or user (u).
func kindOfRoute(s step) string {
	r := s.Route
	switch {
	case strings.HasPrefix(r, "/api/patients/{id}/doctors"), r == "/api/mappings/{id}/" && s.Method != "DELETE":
		return "d"
	case strings.HasPrefix(r, "/api/patients"):
		return "p"
	case strings.HasPrefix(r, "/api/doctors"):
		return "d"
	case strings.HasPrefix(r, "/api/mappings"):
		return "m"
	case strings.HasPrefix(r, "/api/auth"):
		return "u"
	}
	return ""
}

type normaliser struct{ t *target }

var invalidPK = regexp.MustCompile(`^Invalid pk "([0-9]+)" - object does not exist\.$`)

func (n normaliser) walk(v value, kind, key string) value {
	switch x := v.(type) {
	case *object:
		for _, k := range x.keys {
			sub := kind
			switch k {
			case "patient":
				sub = "p"
			case "doctor", "doctor_detail":
				sub = "d"
			}
			x.vals[k] = n.walk(x.vals[k], sub, k)
		}
		return x
	case []value:
		for i := range x {
			x[i] = n.walk(x[i], kind, key)
		}
		return x
	case json.Number:
		if (key == "id" || key == "patient" || key == "doctor") && kind != "" {
			if id, err := x.Int64(); err == nil {
				if id == missingID {
					return "<missing>"
				}
				if slot := n.t.slotOf(kind, id); slot != "" {
					return "<" + slot + ">"
				}
				return "<" + kind + "?>"
			}
		}
		return x
	case string:
		switch key {
		case "created_at", "updated_at", "date_joined":
			if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return "<time>"
			}
		case "access", "refresh":
			if strings.Count(x, ".") == 2 {
				return "<jwt>"
			}
		case "next", "previous":
			return normaliseLink(x)
		case "patient", "doctor":
			if m := invalidPK.FindStringSubmatch(x); m != nil {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				name := m[1]
				if id == missingID {
					name = "<missing>"
				} else if slot := n.t.slotOf(kind, id); slot != "" {
					name = "<" + slot + ">"
				}
				return `Invalid pk "` + name + `" - object does not exist.`
			}
		}
		return x
	}
	return v
}

// normaliseLink keeps a pagination link's path and parameters, sorted:
// the host is each server's own.
func normaliseLink(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Path + "?" + u.Query().Encode()
}

// sortTies sorts runs of results that the requested ordering leaves tied,
// since each database breaks ties its own way. Without ?ordering= both
// designs order by id, a total order.
func sortTies(list []value, query string) []value {
	q, _ := url.ParseQuery(query)
	ord := q.Get("ordering")
	if ord == "" {
		return list
	}
	keys := []string{}
	for _, f := range strings.Split(ord, ",") {
		keys = append(keys, strings.TrimPrefix(strings.TrimSpace(f), "-"))
	}
	tieKey := func(v value) string {
		o, ok := v.(*object)
		if !ok {
			return ""
		}
		parts := []string{}
		for _, k := range keys {
			x, _ := o.get(k)
			parts = append(parts, encode(x))
		}
		return strings.Join(parts, "\x00")
	}
	out := append([]value(nil), list...)
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && tieKey(out[j]) == tieKey(out[i]) {
			j++
		}
		run := out[i:j]
		sort.SliceStable(run, func(a, b int) bool { return encode(run[a]) < encode(run[b]) })
		i = j
	}
	return out
}

// differences names the parts in which two views differ: "status", a
// header name, "body".
func differences(a, b view) []string {
	var d []string
	if a.Status != b.Status {
		d = append(d, "status")
	}
	for _, h := range comparedHeaders {
		if a.Headers[h] != b.Headers[h] {
			d = append(d, strings.ToLower(h))
		}
	}
	if a.body() != b.body() {
		d = append(d, "body")
	}
	return d
}
