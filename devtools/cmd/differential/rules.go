package main

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// rule is one deliberate difference from docs/differences.md.
type rule struct {
	ID, Matcher, Reason string
	line                int

	methods, routes, tags []string
	django, ours          []string // status patterns ("404", "4*")
	headers               []string // headers not compared
	bodyAny               bool
	extra, ignore         []string // top-level body keys
}

// readRules reads the allow-list: the table rows of the form
// | `id` | `matcher` | reason | under the heading "## Rules".
func readRules(file string) ([]*rule, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rules []*rule
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	inRules := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			inRules = line == "## Rules"
		}
		if !inRules || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) < 3 {
			return nil, fmt.Errorf("%s:%d: want | `id` | `matcher` | reason |", file, n)
		}
		r := &rule{ID: strings.Trim(strings.TrimSpace(cells[0]), "`"),
			Matcher: strings.Trim(strings.TrimSpace(cells[1]), "`"),
			Reason:  strings.TrimSpace(strings.Join(cells[2:], " | ")), line: n}
		if seen[r.ID] {
			return nil, fmt.Errorf("%s:%d: rule %s twice", file, n, r.ID)
		}
		seen[r.ID] = true
		if err := r.parse(); err != nil {
			return nil, fmt.Errorf("%s:%d: rule %s: %w", file, n, r.ID, err)
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("%s: no rules found", file)
	}
	return rules, nil
}

func (r *rule) parse() error {
	for _, term := range strings.Fields(r.Matcher) {
		k, v, ok := strings.Cut(term, "=")
		if !ok || v == "" {
			return fmt.Errorf("term %q is not key=value", term)
		}
		alts := strings.Split(v, "|")
		switch k {
		case "method":
			r.methods = alts
		case "route":
			r.routes = alts
		case "tag":
			r.tags = alts
		case "django":
			r.django = alts
		case "ours":
			r.ours = alts
		case "headers":
			r.headers = strings.Split(v, ",")
		case "body":
			kind, keys, _ := strings.Cut(v, ":")
			switch kind {
			case "any":
				r.bodyAny = true
			case "extra":
				r.extra = strings.Split(keys, ",")
			case "ignore":
				r.ignore = strings.Split(keys, ",")
			default:
				return fmt.Errorf("body=%s: want any, extra:KEYS or ignore:KEYS", v)
			}
		default:
			return fmt.Errorf("unknown key %q", k)
		}
	}
	return nil
}

func matchAny(pats []string, s string) bool {
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// applies says whether r's conditions hold for the step and the answers.
func (r *rule) applies(s step, dj, ours view) bool {
	if !matchAny(r.methods, s.Method) || !matchAny(r.routes, s.Route) {
		return false
	}
	if len(r.tags) > 0 {
		found := false
		for _, t := range r.tags {
			found = found || s.hasTag(t)
		}
		if !found {
			return false
		}
	}
	return matchAny(r.django, strconv.Itoa(dj.Status)) && matchAny(r.ours, strconv.Itoa(ours.Status))
}

// allowStatus: a rule that names a status allows the statuses to differ.
func (r *rule) allowStatus() bool { return len(r.django) > 0 || len(r.ours) > 0 }

// equalUnder says whether dj and ours agree once the rules' allowances
// are applied.
func equalUnder(rules []*rule, dj, ours view) bool {
	dj, ours = copyView(dj), copyView(ours)
	skipStatus, bodyAny := false, false
	for _, r := range rules {
		skipStatus = skipStatus || r.allowStatus()
		bodyAny = bodyAny || r.bodyAny
		for _, h := range r.headers {
			for _, name := range comparedHeaders {
				if strings.EqualFold(name, h) {
					delete(dj.Headers, name)
					delete(ours.Headers, name)
				}
			}
		}
		do, dok := dj.JSON.(*object)
		oo, ook := ours.JSON.(*object)
		if dok && ook {
			for _, k := range r.extra {
				if _, has := do.get(k); !has {
					oo.del(k)
				}
			}
			for _, k := range r.ignore {
				do.del(k)
				oo.del(k)
			}
		}
	}
	for _, d := range differences(dj, ours) {
		if d == "status" && skipStatus || d == "body" && bodyAny {
			continue
		}
		return false
	}
	return true
}

func copyView(v view) view {
	c := view{Status: v.Status, Headers: map[string]string{}, JSON: clone(v.JSON), Text: v.Text}
	for k, x := range v.Headers {
		c.Headers[k] = x
	}
	return c
}

// allowedBy returns the rules that make two differing answers agree, or
// nil: of the rules whose conditions hold, those without which they would
// not agree (or all of them, if each alone is redundant).
func allowedBy(rules []*rule, s step, dj, ours view) []*rule {
	var app []*rule
	for _, r := range rules {
		if r.applies(s, dj, ours) {
			app = append(app, r)
		}
	}
	if len(app) == 0 || !equalUnder(app, dj, ours) {
		return nil
	}
	var needed []*rule
	for i := range app {
		rest := append(append([]*rule(nil), app[:i]...), app[i+1:]...)
		if !equalUnder(rest, dj, ours) {
			needed = append(needed, app[i])
		}
	}
	if len(needed) == 0 {
		return app
	}
	return needed
}
