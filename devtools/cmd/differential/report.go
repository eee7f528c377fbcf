package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

type report struct {
	rules     []*rule
	compared  int
	identical int
	allowed   int
	shapes    map[string]bool
	uses      map[string]int
	failures  map[string]*failure
	order     []string
	examples  map[string]string // rule id -> one example
}

type failure struct {
	count   int
	example string
}

func newReport(rules []*rule) *report {
	return &report{rules: rules, shapes: map[string]bool{}, uses: map[string]int{},
		failures: map[string]*failure{}, examples: map[string]string{}}
}

// add compares one answer of ours with the Django design's and counts
// it; it says whether a rule allowed a difference.
func (r *report) add(name string, seq, idx int, s step, dj, ours view) bool {
	r.compared++
	r.shapes[s.shape()] = true
	diffs := differences(dj, ours)
	if len(diffs) == 0 {
		r.identical++
		return false
	}
	if by := allowedBy(r.rules, s, dj, ours); by != nil {
		r.allowed++
		for _, rl := range by {
			r.uses[rl.ID]++
			if r.examples[rl.ID] == "" {
				r.examples[rl.ID] = describe(name, seq, idx, s, dj, ours, diffs)
			}
		}
		return true
	}
	key := name + " " + s.shape() + " [" + strings.Join(diffs, ",") + "]"
	f := r.failures[key]
	if f == nil {
		f = &failure{example: describe(name, seq, idx, s, dj, ours, diffs)}
		r.failures[key] = f
		r.order = append(r.order, key)
	}
	f.count++
	return false
}

func describe(name string, seq, idx int, s step, dj, ours view, diffs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  sequence %d step %d (-only %d): %s\n", seq, idx, seq, s)
	fmt.Fprintf(&b, "  differs in: %s\n", strings.Join(diffs, ", "))
	fmt.Fprintf(&b, "    django:   %s\n", short(dj))
	fmt.Fprintf(&b, "    %-9s %s\n", name+":", short(ours))
	return b.String()
}

func short(v view) string {
	hs := []string{}
	for _, h := range comparedHeaders {
		if x, ok := v.Headers[h]; ok {
			hs = append(hs, h+": "+x)
		}
	}
	body := v.body()
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%d {%s} %s", v.Status, strings.Join(hs, "; "), body)
}

// print writes the report and returns an error if anything failed or,
// on a full run, if a rule was never needed.
func (r *report) print(w io.Writer, verbose, full bool) error {
	fmt.Fprintf(w, "%d requests compared (%d request shapes): %d identical, %d allowed differences, %d failures\n",
		r.compared, len(r.shapes), r.identical, r.allowed, r.compared-r.identical-r.allowed)
	fmt.Fprintln(w, "allowed differences by rule (docs/differences.md):")
	unused := []string{}
	for _, rl := range r.rules {
		fmt.Fprintf(w, "  %-22s %5d\n", rl.ID, r.uses[rl.ID])
		if r.uses[rl.ID] == 0 {
			unused = append(unused, rl.ID)
		}
		if verbose && r.examples[rl.ID] != "" {
			fmt.Fprint(w, r.examples[rl.ID])
		}
	}
	sort.SliceStable(r.order, func(i, j int) bool { return r.failures[r.order[i]].count > r.failures[r.order[j]].count })
	for _, k := range r.order {
		fmt.Fprintf(w, "FAIL ×%d %s\n%s", r.failures[k].count, k, r.failures[k].example)
	}
	var problems []string
	if n := len(r.failures); n > 0 {
		problems = append(problems, fmt.Sprintf("%d kinds of difference no rule allows", n))
	}
	if full && len(unused) > 0 {
		problems = append(problems, "rules no request needed: "+strings.Join(unused, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	fmt.Fprintln(w, "PASS")
	return nil
}
