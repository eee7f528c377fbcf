// Command testsum reads "go test -json" on standard input, prints what
// plain "go test" would (each package's result line, build errors, and
// the whole output of every failed test), and ends with the counts of
// tests passed, failed and skipped, subtests included, and each distinct
// reason for a skip. A skipped half of the suite (PostgreSQL unreachable
// outside CI) is thus on the last screen rather than hidden behind "ok".
//
//	go test -json ./... | go run ./devtools/cmd/testsum [-v]
//
// -v prints every test's output as it comes, as "go test -v" does. The
// exit status is testsum's own (0 unless the input cannot be read): take
// go test's with "set -o pipefail", so that "go run" adds no "exit status"
// line after the counts.
package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
)

// event is one line of "go test -json" (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // of build-output and build-fail
}

func main() {
	verbose := flag.Bool("v", false, "print every test's output, not only failed tests'")
	flag.Parse()
	s := newSummary(os.Stdout, *verbose)
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	s.report()
}

type summary struct {
	w       io.Writer
	verbose bool
	// output holds each running test's lines until its result says
	// whether they are shown.
	output                  map[string][]string
	passed, failed, skipped int
	skips                   map[string]int // reason → tests
	failures                []string       // "package Test" of each failed test
	buildFailures           int
}

func newSummary(w io.Writer, verbose bool) *summary {
	return &summary{w: w, verbose: verbose, output: map[string][]string{}, skips: map[string]int{}}
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(s.w, "%s\n", line) // not an event: go test said it plainly
			continue
		}
		s.add(e)
	}
	return sc.Err()
}

func (s *summary) add(e event) {
	key := e.Package + " " + e.Test
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.w, e.Output)
	case e.Action == "build-fail":
		s.buildFailures++
	case e.Test == "":
		// The package's own lines: its result, a panic outside any test.
		// "PASS" is left out, as plain go test leaves it out.
		if e.Action == "output" && e.Output != "PASS\n" {
			fmt.Fprint(s.w, e.Output)
		}
	case e.Action == "output":
		if s.verbose {
			fmt.Fprint(s.w, e.Output)
			return
		}
		// Benchmark results are shown as they come, as plain go test
		// does, without -json's framing lines.
		if strings.HasPrefix(e.Test, "Benchmark") {
			if !strings.HasPrefix(e.Output, "=== ") && e.Output != e.Test+"\n" {
				fmt.Fprint(s.w, e.Output)
			}
			return
		}
		s.output[key] = append(s.output[key], e.Output)
	case e.Action == "pass":
		s.passed++
		delete(s.output, key)
	case e.Action == "skip":
		s.skipped++
		s.skips[skipReason(s.output[key])]++
		delete(s.output, key)
	case e.Action == "fail":
		s.failed++
		s.failures = append(s.failures, key)
		fmt.Fprint(s.w, strings.Join(s.output[key], ""))
		delete(s.output, key)
	}
}

// logPrefix is what t.Log puts before a message: "file_test.go:12: ".
var logPrefix = regexp.MustCompile(`^\S+\.go:\d+: `)

// skipReason is what a skipped test logged, framing lines left out.
func skipReason(lines []string) string {
	var msg []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		msg = append(msg, logPrefix.ReplaceAllString(l, ""))
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " ")
}

func (s *summary) report() {
	// A test with output but no result was running when its binary died
	// (a timeout, a crash): what it said may be why.
	unfinished := slices.Sorted(maps.Keys(s.output))
	for _, key := range unfinished {
		fmt.Fprintf(s.w, "--- NO RESULT: %s\n%s", key, strings.Join(s.output[key], ""))
	}
	fmt.Fprintf(s.w, "\ntests: %d passed, %d failed, %d skipped", s.passed, s.failed, s.skipped)
	if len(unfinished) > 0 {
		fmt.Fprintf(s.w, ", %d without a result", len(unfinished))
	}
	fmt.Fprintln(s.w)
	type reason struct {
		text string
		n    int
	}
	var reasons []reason
	for text, n := range s.skips {
		reasons = append(reasons, reason{text, n})
	}
	slices.SortFunc(reasons, func(a, b reason) int { return cmp.Or(b.n-a.n, strings.Compare(a.text, b.text)) })
	for _, r := range reasons {
		fmt.Fprintf(s.w, "%d skipped: %s\n", r.n, r.text)
	}
	for _, f := range s.failures {
		fmt.Fprintln(s.w, "failed:", f)
	}
	if s.buildFailures > 0 {
		fmt.Fprintf(s.w, "packages that did not build: %d\n", s.buildFailures)
	}
}
