//go:build unix

package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// killedImportEnv makes the test binary a process that imports the source
// and target named in it ("SOURCE TARGET") and kills itself with SIGKILL
// once the first batch of patients is in: the process dies mid-copy, with
// no chance to roll anything back itself.
const killedImportEnv = "HEALTHCARE_TEST_KILLED_IMPORT"

func killedImport() {
	source, target, _ := strings.Cut(os.Getenv(killedImportEnv), " ")
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, target, sqlstore.Options{MaxOpenConns: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	_, err = db.ImportDjango(ctx, source, sqlstore.DjangoImportOptions{Progress: func(table string, _, _ int64) {
		if table == "patients" {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}})
	fmt.Fprintln(os.Stderr, "import was not killed:", err)
	os.Exit(3)
}

// An import whose process is killed mid-copy leaves the target as it was.
func TestImportDjangoKilled(t *testing.T) {
	const patients = 3000
	var rows strings.Builder
	rows.WriteString("INSERT INTO core_patient VALUES ")
	for i := range patients {
		if i > 0 {
			rows.WriteString(", ")
		}
		rows.WriteString("(" + strconv.Itoa(100+i) + ", 'P', 'Q', 'p" + strconv.Itoa(i) + "@example.com', '1990-01-01', '', '2026-03-01 00:00:00', '2026-03-01 00:00:00', 3)")
	}
	src, _ := djangoSQLite(t, djangoSeed, rows.String())
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			db := sqlstoretest.Open(t, url)
			raw := sqlstoretest.Raw(t, url)
			before := schemaDump(t, raw, engine)

			child := exec.Command(os.Args[0], "-test.run=^$")
			child.Env = append(os.Environ(), killedImportEnv+"="+src+" "+url)
			out, err := child.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("import process ended with %v, want killed:\n%s", err, out)
			}
			for _, table := range []string{"users", "login_names", "patients", "doctors", "assignments", "audit_events"} {
				if n := rowCount(t, raw, table); n != 0 {
					t.Errorf("%s holds %d rows after a killed import", table, n)
				}
			}
			if diff := cmp.Diff(before, schemaDump(t, raw, engine)); diff != "" {
				t.Errorf("schema after a killed import mismatch (-before +after):\n%s", diff)
			}
			r := importDjango(t, db, src, sqlstore.DjangoImportOptions{})
			if c := counts(r)["patients"]; c.New != patients+3 {
				t.Errorf("patients = %+v", c)
			}
		})
	}
}
