package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
)

const importSynopsis = `import django SOURCE_URL [--dry-run] [--skip-invalid-assignments] [--users-table T] …

Copy a Django design's database (postgres://… or sqlite:///path) into the
configured database: users with their password hashes, patients, doctors and
assignments, ids kept, in one transaction. Tables are found by their columns;
the flags name them when that cannot be done. Rows here already are left as
they are, so running it again adds only what is new. Rows that break this
server's rules are listed by id and nothing is written until they are fixed.`

// importOptions are the import command's flags.
type importOptions struct {
	source string
	sqlstore.DjangoImportOptions
}

func (c *cli) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "django" {
		fs := flag.NewFlagSet("import", 0)
		if err := c.parse(fs, importSynopsis, args, 0); errors.Is(err, errHelp) {
			return nil
		}
		return errors.New("usage: healthcare " + strings.SplitN(importSynopsis, "\n", 2)[0])
	}
	fs := flag.NewFlagSet("import django", 0)
	var o importOptions
	fs.BoolVar(&o.DryRun, "dry-run", false, "check and count, print the report, write nothing")
	fs.BoolVar(&o.SkipInvalidAssignments, "skip-invalid-assignments", false,
		"leave out assignments whose patient or doctor is missing, or whose pair is assigned here already")
	fs.StringVar(&o.Tables.Users, "users-table", "", "the users table (default auth_user, or the one with its columns)")
	fs.StringVar(&o.Tables.Patients, "patients-table", "", "the patients table (found by first_name, last_name, email, dob, notes and a key to users)")
	fs.StringVar(&o.Tables.Doctors, "doctors-table", "", "the doctors table (found by specialization)")
	fs.StringVar(&o.Tables.Assignments, "assignments-table", "", "the assignments table (found by patient_id, doctor_id)")
	if err := c.parse(fs, importSynopsis, args[1:], 1<<20); errors.Is(err, errHelp) {
		return nil
	} else if err != nil {
		return err
	}
	// Flags may follow the URL, as the synopsis writes them.
	var positional []string
	for fs.NArg() > 0 {
		positional = append(positional, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	if len(positional) != 1 {
		return fmt.Errorf("import django: want one SOURCE_URL, got %d arguments; see healthcare import --help", len(positional))
	}
	o.source = positional[0]
	cfg, _, err := c.config()
	if err != nil {
		return err
	}
	return importDjango(ctx, cfg, o, c.stdout, c.stderr)
}

func importDjango(ctx context.Context, cfg *config, o importOptions, stdout, stderr io.Writer) error {
	start := time.Now()
	db, err := openDB(ctx, cfg, sqlstore.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := importMigrate(ctx, db, cfg, o.DryRun); err != nil {
		return err
	}
	hasher, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return err
	}
	o.Verifiable = hasher.Verifiable
	o.Found = func(source string, t sqlstore.DjangoTables) {
		fmt.Fprintf(stdout, "found in %s: users %s, patients %s (owner %s), doctors %s, assignments %s\n",
			printable(source), printable(t.Users), printable(t.Patients), printable(t.PatientOwner),
			printable(t.Doctors), printable(t.Assignments))
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		o.Progress = progressLine(stderr)
	}
	r, err := db.ImportDjango(ctx, o.source, o.DjangoImportOptions)
	if r != nil {
		printImportReport(stdout, r, o.DryRun)
	}
	switch {
	case errors.Is(err, sqlstore.ErrDjangoConflicts):
		return fmt.Errorf("%d conflict(s) remain; nothing was written: fix them in the Django database, or give the flag named beside them", blocking(r))
	case err != nil:
		return err
	case o.DryRun:
		fmt.Fprintln(stdout, "dry run: nothing written")
	case !r.Written:
		fmt.Fprintln(stdout, "nothing new: nothing written")
	default:
		fmt.Fprintf(stdout, "imported in %.1fs\n", time.Since(start).Seconds())
	}
	return nil
}

// importMigrate applies pending migrations before a real import, as the
// server does at start. A dry run writes nothing, not even the schema.
func importMigrate(ctx context.Context, db *sqlstore.DB, cfg *config, dryRun bool) error {
	if dryRun || !cfg.AutoMigrate {
		status, err := db.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range status {
			if !m.Applied {
				return errors.New("the database has pending migrations; run healthcare migrate first")
			}
		}
		return nil
	}
	_, err := db.Migrate(ctx)
	return err
}

func blocking(r *sqlstore.DjangoImportReport) int {
	n := 0
	for _, c := range r.Conflicts {
		if !c.Resolved {
			n++
		}
	}
	return n
}

func printImportReport(w io.Writer, r *sqlstore.DjangoImportReport, dryRun bool) {
	for _, c := range r.Conflicts {
		kind, fix := "conflict", ""
		switch {
		case c.Resolved:
			kind = "skipped"
		case c.Flag != "":
			fix = " (" + c.Flag + " leaves them out)"
		}
		fmt.Fprintf(w, "%s: %s %s: %s%s\n", kind, c.Table, joinIDs(c.IDs), c.Rule, fix)
	}
	for _, table := range []string{"users", "doctors", "patients", "assignments"} {
		if ids := r.Changed[table]; len(ids) > 0 {
			fmt.Fprintf(w, "changed in the source since imported, left as here: %s %s\n", table, joinIDs(ids))
		}
	}
	verb := "new"
	if dryRun || r.Blocking() {
		verb = "to add"
	}
	for _, c := range r.Counts {
		fmt.Fprintf(w, "%-12s %d in the source: %d %s, %d here already, %d changed, %d skipped\n",
			c.Table+":", c.Source, c.New, verb, c.Unchanged, c.Changed, c.Skipped)
	}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine rewrites one line per table on a terminal, at most ten
// times a second, and ends it when the table is done.
func progressLine(w io.Writer) func(table string, done, total int64) {
	var last time.Time
	return func(table string, done, total int64) {
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "\r%s: %d/%d", table, done, total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// printable quotes a name from the source database if it holds anything a
// terminal would act on (escape sequences, bidirectional overrides).
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
