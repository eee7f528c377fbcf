package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummary(t *testing.T) {
	// Trimmed from "go test -json": a package whose subtests skip and
	// pass, one whose subtest fails, and one that does not build.
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestDB"}
{"Action":"output","Package":"p","Test":"TestDB","Output":"=== RUN   TestDB\n"}
{"Action":"run","Package":"p","Test":"TestDB/postgres"}
{"Action":"output","Package":"p","Test":"TestDB/postgres","Output":"=== RUN   TestDB/postgres\n"}
{"Action":"output","Package":"p","Test":"TestDB/postgres","Output":"    db_test.go:12: skipping PostgreSQL tests: refused (set TEST_DATABASE_URL)\n"}
{"Action":"output","Package":"p","Test":"TestDB/postgres","Output":"--- SKIP: TestDB/postgres (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestDB/postgres"}
{"Action":"output","Package":"p","Test":"TestDB/sqlite","Output":"    db_test.go:20: a passing test's log\n"}
{"Action":"pass","Package":"p","Test":"TestDB/sqlite"}
{"Action":"pass","Package":"p","Test":"TestDB"}
{"Action":"output","Package":"p","Test":"TestOther","Output":"--- SKIP: TestOther (0.00s)\n"}
{"Action":"output","Package":"p","Test":"TestOther","Output":"    other_test.go:5: skipping PostgreSQL tests: refused (set TEST_DATABASE_URL)\n"}
{"Action":"skip","Package":"p","Test":"TestOther"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}
{"Action":"output","Package":"q","Test":"TestQ/bad","Output":"    q_test.go:7: want 1\n"}
{"Action":"output","Package":"q","Test":"TestQ/bad","Output":"        got 2\n"}
{"Action":"fail","Package":"q","Test":"TestQ/bad"}
{"Action":"fail","Package":"q","Test":"TestQ"}
{"Action":"output","Package":"q","Output":"FAIL\tq\t0.1s\n"}
{"Action":"fail","Package":"q"}
{"ImportPath":"r [r.test]","Action":"build-output","Output":"r/r.go:2:23: cannot use \"x\"\n"}
{"ImportPath":"r [r.test]","Action":"build-fail"}
`
	want := `ok  	p	0.1s
    q_test.go:7: want 1
        got 2
FAIL	q	0.1s
r/r.go:2:23: cannot use "x"

tests: 2 passed, 2 failed, 2 skipped
2 skipped: skipping PostgreSQL tests: refused (set TEST_DATABASE_URL)
failed: q TestQ/bad
failed: q TestQ
packages that did not build: 1
`
	var out strings.Builder
	s := newSummary(&out, false)
	if err := s.read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	s.report()
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
}
