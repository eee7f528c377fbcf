package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/clinicapi/healthcare"
)

// DjangoImportOptions tune ImportDjango.
type DjangoImportOptions struct {
	Tables DjangoTables // empty names are found by their columns
	DryRun bool         // check and count, write nothing
	// SkipInvalidAssignments leaves out assignments whose patient or doctor
	// is missing, or whose pair is assigned here already, instead of
	// refusing to import.
	SkipInvalidAssignments bool
	// Found, if set, is told the tables found, before anything is checked.
	Found func(source string, t DjangoTables)
	// Progress, if set, is told how many rows of a table are written, of
	// how many, as the copy goes.
	Progress func(table string, done, total int64)
	// Verifiable tells the stored password hashes logins can be checked
	// against (the password package's Hasher.Verifiable); nil takes any
	// hash of a kind that package knows, whatever its parameters.
	Verifiable func(hash string) bool
}

// DjangoTableCount counts one table's rows.
type DjangoTableCount struct {
	Table     string // ours: users, patients, doctors, assignments
	Source    int64  // rows in the source
	New       int64  // added (or, in a dry run, to add)
	Unchanged int64  // here already, as in the source
	Changed   int64  // here already, but different from the source: left as here
	Skipped   int64  // left out by a flag
}

// DjangoConflict is a rule some source rows break, which the import does
// not guess its way around.
type DjangoConflict struct {
	Table    string  // ours
	IDs      []int64 // the source's ids
	Rule     string
	Flag     string // the flag that resolves it by leaving the rows out; "" if none
	Resolved bool   // the flag was given: the rows are left out
}

// DjangoImportReport is what an import found and did.
type DjangoImportReport struct {
	Source    string // engine, host and database; never credentials
	Tables    DjangoTables
	Counts    []DjangoTableCount // users, doctors, patients, assignments
	Conflicts []DjangoConflict
	// Changed lists, per table, the ids of rows here already that differ
	// from the source's; they are left as they are here.
	Changed map[string][]int64
	Written bool // false for a dry run, and when there was nothing new
}

// Blocking reports whether conflicts remain that no flag resolved.
func (r *DjangoImportReport) Blocking() bool {
	for _, c := range r.Conflicts {
		if !c.Resolved {
			return true
		}
	}
	return false
}

func (r *DjangoImportReport) hasNew() bool {
	for _, c := range r.Counts {
		if c.New > 0 {
			return true
		}
	}
	return false
}

// ErrDjangoConflicts is returned, with the report, when conflicts remain.
var ErrDjangoConflicts = errors.New("the source has rows that break this server's rules; nothing was written")

// ImportDjango copies the users, patients, doctors and assignments of a
// Django design's database (src: postgres://… or sqlite://…) into db, in
// one transaction, keeping ids. Rows already here are left alone and
// reported if they differ, so a second run adds only what is new.
func (db *DB) ImportDjango(ctx context.Context, src string, opt DjangoImportOptions) (*DjangoImportReport, error) {
	s, err := openDjangoSource(ctx, src)
	if err != nil {
		return nil, err
	}
	defer s.close()
	sc, err := s.schema(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := sc.discover(opt.Tables)
	if err != nil {
		return nil, err
	}
	if opt.Found != nil {
		opt.Found(s.fingerprint, tables)
	}
	imp := &djangoImport{db: db, src: s, q: sc.queries(tables), opt: opt, now: db.now(),
		report: &DjangoImportReport{Source: s.fingerprint, Tables: tables, Changed: map[string][]int64{}}}
	t := tables
	times := map[string]bool{
		"patients":    sc.has(t.Patients, "created_at", "updated_at"),
		"doctors":     sc.has(t.Doctors, "created_at", "updated_at"),
		"assignments": sc.has(t.Assignments, "created_at"),
	}
	if err := imp.loadTarget(ctx, times); err != nil {
		return nil, err
	}
	if err := imp.check(ctx); err != nil {
		return nil, err
	}
	r := imp.report
	if r.Blocking() {
		return r, ErrDjangoConflicts
	}
	if opt.DryRun || !r.hasNew() {
		return r, nil // a second import with nothing new changes nothing, not even the audit trail
	}
	if err := imp.write(ctx); err != nil {
		return r, err
	}
	r.Written = true
	return r, nil
}

// djangoImport is one import's state: what the target holds, and what the
// check found in the source.
type djangoImport struct {
	db     *DB
	src    *djangoSource
	q      djangoQueries
	opt    DjangoImportOptions
	now    time.Time
	report *DjangoImportReport
	tgt    *target

	counts    map[string]*DjangoTableCount
	conflicts conflictSet
	// patientOwner holds every patient there will be, source's and
	// target's, with its owner: what assignments are checked against.
	patientOwner map[int64]int64
	doctors      map[int64]bool
	users        map[int64]bool // every user there will be
	skip         map[int64]bool // assignments left out by the flag
}

func (imp *djangoImport) count(table string) *DjangoTableCount {
	if imp.counts == nil {
		imp.counts = map[string]*DjangoTableCount{}
	}
	c := imp.counts[table]
	if c == nil {
		c = &DjangoTableCount{Table: table}
		imp.counts[table] = c
	}
	return c
}

func (imp *djangoImport) changed(table string, id int64) {
	imp.count(table).Changed++
	imp.report.Changed[table] = append(imp.report.Changed[table], id)
}

// The rows as our domain types, with the defaults of a column the source
// lacks: the import's time.
func (d *srcDoctor) doctor(now time.Time) *healthcare.Doctor {
	created := orTime(d.CreatedAt.Time, now)
	return &healthcare.Doctor{ID: d.ID, FirstName: d.First, LastName: d.Last, Email: d.Email,
		Specialization: d.Specialization, CreatedAt: created, UpdatedAt: orTime(d.UpdatedAt.Time, created)}
}

func (p *srcPatient) patient(now time.Time) *healthcare.Patient {
	created := orTime(p.CreatedAt.Time, now)
	return &healthcare.Patient{ID: p.ID, OwnerID: p.OwnerID, FirstName: p.First, LastName: p.Last, Email: p.Email,
		DOB: dateOnly(p.DOB.Time), Notes: p.Notes, CreatedAt: created, UpdatedAt: orTime(p.UpdatedAt.Time, created), Version: 1}
}

func orTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}
