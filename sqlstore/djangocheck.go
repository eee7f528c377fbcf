package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/clinicapi/healthcare"
)

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
	all    []DjangoConflict
	single map[string]int // table + rule → index in all
}

func (c *conflictSet) add(table string, id int64, rule, flag string, resolved bool) {
	if c.single == nil {
		c.single = map[string]int{}
	}
	key := table + "\x00" + rule
	if i, ok := c.single[key]; ok {
		c.all[i].IDs = append(c.all[i].IDs, id)
		return
	}
	c.single[key] = len(c.all)
	c.all = append(c.all, DjangoConflict{Table: table, IDs: []int64{id}, Rule: rule, Flag: flag, Resolved: resolved})
}

func (c *conflictSet) pair(table string, a, b int64, rule string) {
	c.all = append(c.all, DjangoConflict{Table: table, IDs: []int64{a, b}, Rule: rule})
}

func (c *conflictSet) list() []DjangoConflict { return c.all }

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
			switch {
			case healthcare.Fold(t.username) != healthcare.Fold(u.Username) && healthcare.Fold(t.email) != healthcare.Fold(u.Email):
				// Not the account imported under this id: one made here since,
				// while Django went on making its own. Its records would be
				// handed to a stranger.
				imp.conflicts.add("users", u.ID, idTakenRule, "", false)
			case t.differs(u):
				imp.changed("users", u.ID)
			default:
				c.Unchanged++
			}
			return nil
		}
		c.New++
		imp.checkID("users", u.ID)
		r := healthcare.Registration{Username: u.Username, Email: u.Email, FirstName: u.First, LastName: u.Last, Password: "-"}
		for _, rule := range fieldRules(r.Validate().Err()) {
			imp.conflicts.add("users", u.ID, rule, "", false)
		}
		imp.checkNUL("users", u.ID, u.Username, u.Email, u.First, u.Last, u.Password)
		if !knownHash(u.Password) || (imp.opt.Verifiable != nil && !imp.opt.Verifiable(u.Password)) {
			imp.conflicts.add("users", u.ID, "password: stored with a hasher, or a cost, this server does not verify", "", false)
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
		imp.checkID("doctors", d.ID)
		doc := d.doctor(imp.now)
		for _, rule := range fieldRules(doc.Validate()) {
			imp.conflicts.add("doctors", d.ID, rule, "", false)
		}
		imp.checkNUL("doctors", d.ID, doc.FirstName, doc.LastName, doc.Email, doc.Specialization)
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
			switch {
			case t.owner != p.OwnerID:
				imp.conflicts.add("patients", p.ID, idTakenRule, "", false)
			case t.digest != p.digest(imp.tgt):
				imp.changed("patients", p.ID)
			default:
				c.Unchanged++
			}
			return nil
		}
		c.New++
		imp.checkID("patients", p.ID)
		imp.patientOwner[p.ID] = p.OwnerID
		if !imp.users[p.OwnerID] {
			imp.conflicts.add("patients", p.ID, "owner: no such user", "", false)
		}
		pat := p.patient(imp.now)
		for _, rule := range fieldRules(pat.Validate(today)) {
			imp.conflicts.add("patients", p.ID, rule, "", false)
		}
		imp.checkNUL("patients", p.ID, pat.FirstName, pat.LastName, pat.Email, pat.Notes)
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

// idTakenRule is a row whose id another record here holds: one made here
// after an import, while Django went on writing (the cut-over stops
// Django's writes first).
const idTakenRule = "id: held here by another record, made after an import while Django went on writing"

// maxImportID is the largest id taken: JavaScript clients read larger
// integers wrong, and the sequence that continues past it needs room.
const maxImportID = 1<<53 - 1

// checkNUL refuses text holding a NUL: the API refuses it in every field,
// and PostgreSQL cannot store it.
func (imp *djangoImport) checkNUL(table string, id int64, fields ...string) {
	if slices.ContainsFunc(fields, func(f string) bool { return strings.ContainsRune(f, 0) }) {
		imp.conflicts.add(table, id, "text: holds a NUL character", "", false)
	}
}

// checkID refuses a new row's id outside 1 … maxImportID.
func (imp *djangoImport) checkID(table string, id int64) {
	if id < 1 || id > maxImportID {
		imp.conflicts.add(table, id, fmt.Sprintf("id: outside 1 to %d", int64(maxImportID)), "", false)
	}
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
			imp.checkID("assignments", a.ID)
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
