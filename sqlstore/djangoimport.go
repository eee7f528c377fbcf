package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
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
	Written bool
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
	if opt.DryRun {
		return r, nil
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

// check reads the source once, counts, and lists the conflicts.
func (imp *djangoImport) check(ctx context.Context) error {
	for _, step := range []func(context.Context) error{imp.checkUsers, imp.checkDoctors, imp.checkPatients, imp.checkAssignments} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	for _, t := range []string{"users", "doctors", "patients", "assignments"} {
		imp.report.Counts = append(imp.report.Counts, *imp.count(t))
	}
	imp.report.Conflicts = imp.conflicts.list()
	return nil
}

// conflictSet gathers conflicts; one rule broken by many rows alone is one
// conflict listing them all.
type conflictSet struct {
	list_  []DjangoConflict
	single map[string]int // table + rule → index in list_
}

func (c *conflictSet) add(table string, id int64, rule, flag string, resolved bool) {
	if c.single == nil {
		c.single = map[string]int{}
	}
	key := table + "\x00" + rule
	if i, ok := c.single[key]; ok {
		c.list_[i].IDs = append(c.list_[i].IDs, id)
		return
	}
	c.single[key] = len(c.list_)
	c.list_ = append(c.list_, DjangoConflict{Table: table, IDs: []int64{id}, Rule: rule, Flag: flag, Resolved: resolved})
}

func (c *conflictSet) pair(table string, a, b int64, rule string) {
	c.list_ = append(c.list_, DjangoConflict{Table: table, IDs: []int64{a, b}, Rule: rule})
}

func (c *conflictSet) list() []DjangoConflict { return c.list_ }

// fieldRules turns validation problems into rules, field by field.
func fieldRules(err error) []string {
	var e *healthcare.Error
	if !errors.As(err, &e) {
		return nil
	}
	var rules []string
	for field, msgs := range e.Fields {
		rules = append(rules, field+": "+strings.Join(msgs, " "))
	}
	sort.Strings(rules)
	return rules
}

// djangoHashPrefixes are the stored password forms this server verifies
// (package password); another would make its account unable to log in.
var djangoHashPrefixes = []string{"pbkdf2_sha256$", "pbkdf2_sha1$", "argon2$argon2", "bcrypt_sha256$", "bcrypt$", "$argon2id$", "!"}

func knownHash(h string) bool {
	if h == "" {
		return true // unusable, as Django's empty password
	}
	for _, p := range djangoHashPrefixes {
		if strings.HasPrefix(h, p) {
			return true
		}
	}
	return false
}

func (imp *djangoImport) checkUsers(ctx context.Context) error {
	c := imp.count("users")
	imp.users = map[int64]bool{}
	for id := range imp.tgt.users {
		imp.users[id] = true
	}
	return imp.src.eachUser(ctx, imp.q, func(u *srcUser) error {
		c.Source++
		imp.users[u.ID] = true
		if t, ok := imp.tgt.users[u.ID]; ok {
			if t.differs(u) {
				imp.changed("users", u.ID)
			} else {
				c.Unchanged++
			}
			return nil
		}
		c.New++
		r := healthcare.Registration{Username: u.Username, Email: u.Email, FirstName: u.First, LastName: u.Last, Password: "-"}
		for _, rule := range fieldRules(r.Validate().Err()) {
			imp.conflicts.add("users", u.ID, rule, "", false)
		}
		if !knownHash(u.Password) {
			imp.conflicts.add("users", u.ID, "password: stored with a hasher this server does not verify", "", false)
		}
		imp.claimNames(u)
		return nil
	})
}

// claimNames takes a new user's username and email in the one namespace
// of login names, and reports a name that another account holds.
func (imp *djangoImport) claimNames(u *srcUser) {
	username, email := healthcare.Fold(u.Username), healthcare.Fold(u.Email)
	for _, n := range []loginNameOwner{{username, u.ID, false, false}, {email, u.ID, true, false}} {
		if n.key == "" {
			continue
		}
		other, ok := imp.tgt.names[n.key]
		if !ok {
			imp.tgt.names[n.key] = n
			continue
		}
		if other.user == u.ID {
			continue // its username is its email
		}
		var rule string
		switch {
		case !other.email && !n.email:
			rule = "usernames equal once case is folded"
		case other.email && n.email:
			rule = "emails equal once case is folded"
		default:
			rule = "the username of one is the email of the other, once case is folded"
		}
		if other.here {
			rule += fmt.Sprintf(" (user %d is here already)", other.user)
		}
		imp.conflicts.pair("users", other.user, u.ID, rule)
	}
}

func (imp *djangoImport) checkDoctors(ctx context.Context) error {
	c := imp.count("doctors")
	imp.doctors = map[int64]bool{}
	for id := range imp.tgt.doctors {
		imp.doctors[id] = true
	}
	return imp.src.eachDoctor(ctx, imp.q, func(d *srcDoctor) error {
		c.Source++
		imp.doctors[d.ID] = true
		if t, ok := imp.tgt.doctors[d.ID]; ok {
			if t != d.digest(imp.tgt) {
				imp.changed("doctors", d.ID)
			} else {
				c.Unchanged++
			}
			return nil
		}
		c.New++
		doc := d.doctor(imp.now)
		for _, rule := range fieldRules(doc.Validate()) {
			imp.conflicts.add("doctors", d.ID, rule, "", false)
		}
		key := healthcare.Fold(d.Email)
		if other, ok := imp.tgt.doctorEmails[key]; ok {
			imp.conflicts.pair("doctors", other.id, d.ID, "emails equal once case is folded"+other.hereNote("doctor"))
		} else {
			imp.tgt.doctorEmails[key] = idOwner{id: d.ID}
		}
		return nil
	})
}

func (imp *djangoImport) checkPatients(ctx context.Context) error {
	c := imp.count("patients")
	// Sized once: growing a map of a million entries rehashes it twenty times.
	var n int
	if err := imp.src.tx.QueryRowContext(ctx, imp.q.countPatients).Scan(&n); err != nil {
		return fmt.Errorf("count source patients: %w", err)
	}
	imp.patientOwner = make(map[int64]int64, len(imp.tgt.patients)+n)
	emails := make(map[emailKey]idOwner, len(imp.tgt.patientEmails)+n)
	for k, v := range imp.tgt.patientEmails {
		emails[k] = v
	}
	imp.tgt.patientEmails = emails
	for id, t := range imp.tgt.patients {
		imp.patientOwner[id] = t.owner
	}
	today := dateOnly(imp.now)
	return imp.src.eachPatient(ctx, imp.q, func(p *srcPatient) error {
		c.Source++
		if t, ok := imp.tgt.patients[p.ID]; ok {
			if t.digest != p.digest(imp.tgt) {
				imp.changed("patients", p.ID)
			} else {
				c.Unchanged++
			}
			return nil
		}
		c.New++
		imp.patientOwner[p.ID] = p.OwnerID
		if !imp.users[p.OwnerID] {
			imp.conflicts.add("patients", p.ID, "owner: no such user", "", false)
		}
		pat := p.patient(imp.now)
		for _, rule := range fieldRules(pat.Validate(today)) {
			imp.conflicts.add("patients", p.ID, rule, "", false)
		}
		key := imp.tgt.patientEmailKey(p.OwnerID, healthcare.Fold(p.Email))
		if other, ok := imp.tgt.patientEmails[key]; ok {
			imp.conflicts.pair("patients", other.id, p.ID, fmt.Sprintf(
				"one owner (user %d) holds both, with emails equal once case is folded%s", p.OwnerID, other.hereNote("patient")))
		} else {
			imp.tgt.patientEmails[key] = idOwner{id: p.ID}
		}
		return nil
	})
}

const skipAssignmentsFlag = "--skip-invalid-assignments" // #nosec G101 -- a flag's name, not a credential

func (imp *djangoImport) checkAssignments(ctx context.Context) error {
	c := imp.count("assignments")
	imp.skip = map[int64]bool{}
	return imp.src.eachAssignment(ctx, imp.q, func(a *srcAssignment) error {
		c.Source++
		if t, ok := imp.tgt.assignments[a.ID]; ok {
			if t != a.digest(imp.tgt) {
				imp.changed("assignments", a.ID)
			} else {
				c.Unchanged++
			}
			return nil
		}
		var rule string
		_, patient := imp.patientOwner[a.PatientID]
		other, assigned := imp.tgt.pairs[[2]int64{a.PatientID, a.DoctorID}]
		switch {
		case !patient:
			rule = "patient: no such patient"
		case !imp.doctors[a.DoctorID]:
			rule = "doctor: no such doctor"
		case assigned:
			rule = fmt.Sprintf("the pair of patient and doctor is assigned already (assignment %d)", other)
		}
		if rule == "" {
			imp.tgt.pairs[[2]int64{a.PatientID, a.DoctorID}] = a.ID
			c.New++
			return nil
		}
		skip := imp.opt.SkipInvalidAssignments
		imp.conflicts.add("assignments", a.ID, rule, skipAssignmentsFlag, skip)
		if skip {
			imp.skip[a.ID] = true
			c.Skipped++
		} else {
			c.New++
		}
		return nil
	})
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
