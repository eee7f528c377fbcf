package sqlstore

import (
	"context"
	"fmt"
	"hash/maphash"
	"strconv"
	"time"
)

// target is what this server's database holds already, as much as the
// import needs to tell new rows from rows it has, and to check the new
// ones against the unique rules. Patients and assignments are kept as a
// digest each: a second import of a million patients holds no copy of them.
type target struct {
	seed, seed2   maphash.Seed
	times         map[string]bool // per table: the source has its timestamps, so they are compared
	users         map[int64]*tgtUser
	names         map[string]loginNameOwner
	doctors       map[int64]uint64
	doctorEmails  map[string]idOwner
	patients      map[int64]tgtPatient
	patientEmails map[emailKey]idOwner
	assignments   map[int64]uint64
	pairs         map[[2]int64]int64 // patient, doctor → assignment
}

type tgtUser struct {
	username, email, first, last, hash string
	active, staff                      bool
	joined                             time.Time
}

// loginNameOwner is the account that holds a login name, and whether the
// name is its email, and whether the account is here already.
type loginNameOwner struct {
	key         string
	user        int64
	email, here bool
}

type idOwner struct {
	id   int64
	here bool
}

func (o idOwner) hereNote(kind string) string {
	if o.here {
		return fmt.Sprintf(" (%s %d is here already)", kind, o.id)
	}
	return ""
}

// emailKey stands for an owner and a folded email: 128 bits of two keyed
// hashes, so that a million of them make a map the garbage collector need
// not scan, as it must scan a million string keys at every cycle. Two
// different pairs share one with a chance of 2^-128.
type emailKey [2]uint64

func (t *target) patientEmailKey(owner int64, email string) emailKey {
	var k emailKey
	for i, seed := range []maphash.Seed{t.seed, t.seed2} {
		var h maphash.Hash
		h.SetSeed(seed)
		_, _ = h.WriteString(strconv.FormatInt(owner, 10))
		_ = h.WriteByte(0)
		_, _ = h.WriteString(email)
		k[i] = h.Sum64()
	}
	return k
}

type tgtPatient struct {
	owner  int64
	digest uint64
}

// differs reports whether the user here differs from the source's. A
// password hash counts only while it is still a Django hash: the first
// login here replaces it with ours.
func (t *tgtUser) differs(u *srcUser) bool {
	if t.username != u.Username || t.email != u.Email || t.first != u.First || t.last != u.Last ||
		t.active != bool(u.IsActive) || t.staff != bool(u.IsStaff || u.IsSuperuser) {
		return true
	}
	if !u.DateJoined.IsZero() && !t.joined.Equal(u.DateJoined.Time) {
		return true
	}
	return !isOurHash(t.hash) && t.hash != u.Password
}

func isOurHash(h string) bool { return len(h) > 9 && h[:9] == "$argon2id" }

// digest hashes fields with a separator no text field holds alone.
func digest(seed maphash.Seed, fields ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, f := range fields {
		_, _ = h.WriteString(f)
		_ = h.WriteByte(0x1f)
	}
	return h.Sum64()
}

func timeField(t time.Time, compare bool) string {
	if !compare {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

func (t *target) patientDigest(owner int64, first, last, email, notes string, dob, created, updated time.Time) uint64 {
	c := t.times["patients"]
	return digest(t.seed, strconv.FormatInt(owner, 10), first, last, email, notes, dob.Format(time.DateOnly),
		timeField(created, c), timeField(updated, c))
}

func (t *target) doctorDigest(first, last, email, spec string, created, updated time.Time) uint64 {
	c := t.times["doctors"]
	return digest(t.seed, first, last, email, spec, timeField(created, c), timeField(updated, c))
}

func (t *target) assignmentDigest(patient, doctor int64, created time.Time) uint64 {
	return digest(t.seed, strconv.FormatInt(patient, 10), strconv.FormatInt(doctor, 10), timeField(created, t.times["assignments"]))
}

func (p *srcPatient) digest(t *target) uint64 {
	return t.patientDigest(p.OwnerID, p.First, p.Last, p.Email, p.Notes, dateOnly(p.DOB.Time), p.CreatedAt.Time, p.UpdatedAt.Time)
}

func (d *srcDoctor) digest(t *target) uint64 {
	return t.doctorDigest(d.First, d.Last, d.Email, d.Specialization, d.CreatedAt.Time, d.UpdatedAt.Time)
}

func (a *srcAssignment) digest(t *target) uint64 {
	return t.assignmentDigest(a.PatientID, a.DoctorID, a.CreatedAt.Time)
}

const (
	tgtUsersSQL       = `SELECT id, username, email, first_name, last_name, password_hash, is_active, is_staff, date_joined FROM users`
	tgtNamesSQL       = `SELECT n.name_key, n.user_id, u.email_key = n.name_key FROM login_names n JOIN users u ON u.id = n.user_id`
	tgtDoctorsSQL     = `SELECT id, first_name, last_name, email, email_key, specialization, created_at, updated_at FROM doctors`
	tgtPatientsSQL    = `SELECT id, owner_id, first_name, last_name, email, email_key, notes, dob, created_at, updated_at FROM patients`
	tgtAssignmentsSQL = `SELECT id, patient_id, doctor_id, created_at FROM assignments`
)

// loadTarget reads what the target holds. The target is read outside the
// import's transaction: the cut-over stops writes first, and a row that
// slips in meanwhile still meets the constraints when the copy commits.
func (imp *djangoImport) loadTarget(ctx context.Context, times map[string]bool) error {
	t := &target{
		seed: maphash.MakeSeed(), seed2: maphash.MakeSeed(), times: times,
		users: map[int64]*tgtUser{}, names: map[string]loginNameOwner{},
		doctors: map[int64]uint64{}, doctorEmails: map[string]idOwner{},
		patients: map[int64]tgtPatient{}, patientEmails: map[emailKey]idOwner{},
		assignments: map[int64]uint64{}, pairs: map[[2]int64]int64{},
	}
	imp.tgt = t
	q := imp.db.pool()
	steps := []struct {
		what, query string
		scan        func(scanner) error
	}{
		{"users", tgtUsersSQL, func(row scanner) error {
			var (
				id int64
				u  tgtUser
			)
			if err := row.Scan(&id, &u.username, &u.email, &u.first, &u.last, &u.hash, &u.active, &u.staff, &u.joined); err != nil {
				return err
			}
			u.joined = u.joined.UTC()
			t.users[id] = &u
			return nil
		}},
		{"login names", tgtNamesSQL, func(row scanner) error {
			var n loginNameOwner
			if err := row.Scan(&n.key, &n.user, &n.email); err != nil {
				return err
			}
			n.here = true
			t.names[n.key] = n
			return nil
		}},
		{"doctors", tgtDoctorsSQL, func(row scanner) error {
			var (
				id                            int64
				first, last, email, key, spec string
				created, updated              time.Time
			)
			if err := row.Scan(&id, &first, &last, &email, &key, &spec, &created, &updated); err != nil {
				return err
			}
			t.doctors[id] = t.doctorDigest(first, last, email, spec, created, updated)
			t.doctorEmails[key] = idOwner{id: id, here: true}
			return nil
		}},
		{"patients", tgtPatientsSQL, func(row scanner) error {
			var (
				id, owner                      int64
				first, last, email, key, notes string
				dob, created, updated          time.Time
			)
			if err := row.Scan(&id, &owner, &first, &last, &email, &key, &notes, &dob, &created, &updated); err != nil {
				return err
			}
			t.patients[id] = tgtPatient{owner: owner, digest: t.patientDigest(owner, first, last, email, notes, dateOnly(dob), created, updated)}
			t.patientEmails[t.patientEmailKey(owner, key)] = idOwner{id: id, here: true}
			return nil
		}},
		{"assignments", tgtAssignmentsSQL, func(row scanner) error {
			var (
				id, patient, doctor int64
				created             time.Time
			)
			if err := row.Scan(&id, &patient, &doctor, &created); err != nil {
				return err
			}
			t.assignments[id] = t.assignmentDigest(patient, doctor, created)
			t.pairs[[2]int64{patient, doctor}] = id
			return nil
		}},
	}
	for _, s := range steps {
		if err := q.each(ctx, s.query, nil, s.scan); err != nil {
			return fmt.Errorf("read this server's %s: %w", s.what, err)
		}
	}
	return nil
}
