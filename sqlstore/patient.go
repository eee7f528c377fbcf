package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clinicapi/healthcare"
)

// PatientService implements healthcare.PatientService. Every query carries
// the caller's id in its WHERE clause, so another owner's row is not found.
type PatientService struct {
	db *DB
}

var _ healthcare.PatientService = (*PatientService)(nil)

// NewPatientService returns a PatientService on db.
func NewPatientService(db *DB) *PatientService { return &PatientService{db: db} }

// ownerID is the caller; a service method without one is a wiring bug.
func ownerID(ctx context.Context) (int64, error) {
	id := healthcare.UserIDFromContext(ctx)
	if id == 0 {
		return 0, healthcare.NotAuthenticated()
	}
	return id, nil
}

const patientColumns = `id, owner_id, first_name, last_name, email, dob, notes, created_at, updated_at, version`

func scanPatient(row scanner, extra ...any) (*healthcare.Patient, error) {
	var p healthcare.Patient
	if err := row.Scan(append(patientDest(&p), extra...)...); err != nil {
		return nil, err
	}
	normalizePatient(&p)
	return &p, nil
}

// patientDest is where a row of patientColumns is scanned to.
func patientDest(p *healthcare.Patient) []any {
	return []any{&p.ID, &p.OwnerID, &p.FirstName, &p.LastName, &p.Email, &p.DOB, &p.Notes,
		&p.CreatedAt, &p.UpdatedAt, &p.Version}
}

func normalizePatient(p *healthcare.Patient) {
	p.DOB = dateOnly(p.DOB)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
}

// dateOnly drops the time and zone a driver may attach to a DATE.
func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func today(now time.Time) time.Time { return dateOnly(now) }

// FindPatientByID returns one of the caller's patients.
func (s *PatientService) FindPatientByID(ctx context.Context, id int64) (*healthcare.Patient, error) {
	owner, err := ownerID(ctx)
	if err != nil {
		return nil, err
	}
	ev := newEvent(ctx, healthcare.ActionPatientRead, "patient", id)
	ev.PatientID = id
	p, err := findPatient(ctx, s.db.pool(), owner, id, "")
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	ev.OwnerID = owner
	if err := s.db.audit.record(ctx, ev); err != nil {
		return nil, err
	}
	return p, nil
}

const findPatientSQL = `SELECT ` + patientColumns + ` FROM patients WHERE id = $1 AND owner_id = $2`

func findPatient(ctx context.Context, q handle, owner, id int64, lock string) (*healthcare.Patient, error) {
	p, err := scanPatient(q.queryRow(ctx, findPatientSQL+lock, id, owner))
	if isNoRows(err) {
		return nil, healthcare.NotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find patient: %w", err)
	}
	return p, nil
}

var patientOrder = orderColumns("", healthcare.PatientOrderFields)

const findPatientsSQL = `SELECT ` + patientColumns + `, count(*) OVER () FROM patients WHERE owner_id = $1`

// FindPatients returns a page of the caller's patients and their count.
func (s *PatientService) FindPatients(ctx context.Context, opt healthcare.ListOptions) ([]*healthcare.Patient, int, error) {
	owner, err := ownerID(ctx)
	if err != nil {
		return nil, 0, err
	}
	q := newQuery(findPatientsSQL, owner)
	q.search("search_key", opt.Search)
	if err := q.page(ctx, s.db.pool(), &opt, patientOrder, "id"); err != nil {
		return nil, 0, err
	}
	ev := newEvent(ctx, healthcare.ActionPatientList, "patient", 0)
	patients, total, err := s.findPatients(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	if total, err = pageResult(opt, len(patients), total); err != nil {
		return nil, 0, s.db.audit.recordFailure(ctx, ev, err)
	}
	ev.OwnerID = owner
	for _, p := range patients {
		ev.PatientIDs = append(ev.PatientIDs, p.ID)
	}
	if err := s.db.audit.record(ctx, ev); err != nil {
		return nil, 0, err
	}
	return patients, total, nil
}

// findPatients scans every row into one patient and copies it into a
// page allocated once, rather than allocating a patient and its scan
// destinations for each row.
func (s *PatientService) findPatients(ctx context.Context, q *query) ([]*healthcare.Patient, int, error) {
	var (
		page  []healthcare.Patient
		p     healthcare.Patient
		total int
	)
	dest := append(patientDest(&p), &total)
	err := s.db.pool().each(ctx, q.String(), q.args, func(row scanner) error {
		if err := row.Scan(dest...); err != nil {
			return fmt.Errorf("scan patient: %w", err)
		}
		normalizePatient(&p)
		page = append(page, p)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find patients: %w", err)
	}
	patients := make([]*healthcare.Patient, len(page))
	for i := range page {
		patients[i] = &page[i]
	}
	return patients, total, nil
}

const insertPatientSQL = `INSERT INTO patients
(owner_id, first_name, last_name, email, email_key, dob, notes, search_key, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING id`

// CreatePatient stores p as the caller's patient.
func (s *PatientService) CreatePatient(ctx context.Context, p *healthcare.Patient, problems healthcare.FieldErrors) error {
	owner, err := ownerID(ctx)
	if err != nil {
		return err
	}
	ev := newEvent(ctx, healthcare.ActionPatientCreate, "patient", 0)
	now := s.db.now()
	if err := checkPatient(ctx, s.db.pool(), owner, 0, p, problems, today(now)); err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	p.OwnerID, p.CreatedAt, p.UpdatedAt, p.Version = owner, now, now, 1
	p.DOB = dateOnly(p.DOB)
	err = s.db.withTx(ctx, func(tx handle) error {
		err := tx.queryRow(ctx, insertPatientSQL, owner, p.FirstName, p.LastName, p.Email, healthcare.Fold(p.Email),
			p.DOB, p.Notes, patientSearchKey(p), now).Scan(&p.ID)
		if err != nil {
			return patientWriteError("insert patient", err)
		}
		ev.ObjectID, ev.PatientID, ev.OwnerID = p.ID, p.ID, owner
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}

const patientEmailHeldSQL = `SELECT count(*) FROM patients WHERE owner_id = $1 AND email_key = $2 AND id <> $3`

// checkPatient reports p's problems with those found reading the request,
// as DRF's serializer reports them: every field's at once, a field the
// request got wrong with that problem only, and an email the owner's other
// patient holds among them. Without any problem the unique constraint
// alone decides, at the write, so there is no race.
func checkPatient(ctx context.Context, h handle, owner, id int64, p *healthcare.Patient, problems healthcare.FieldErrors, today time.Time) error {
	errs := withProblems(p.Validate(today), problems)
	if len(errs) == 0 {
		return nil
	}
	if _, bad := errs["email"]; !bad {
		var n int
		if err := h.queryRow(ctx, patientEmailHeldSQL, owner, healthcare.Fold(p.Email), id).Scan(&n); err != nil {
			return fmt.Errorf("check patient email: %w", err)
		}
		if n > 0 {
			errs.Add("email", msgPatientEmailHeld)
		}
	}
	return errs.Err()
}

const msgPatientEmailHeld = "patient with this email already exists."

// withProblems merges a record's validation error with the problems found
// reading the request; a field the request got wrong keeps only those.
func withProblems(validation error, problems healthcare.FieldErrors) healthcare.FieldErrors {
	errs := healthcare.FieldErrors{}
	var e *healthcare.Error
	if errors.As(validation, &e) {
		errs.Merge(e.Fields)
	}
	for field, msgs := range problems {
		errs[field] = msgs
	}
	return errs
}

func patientSearchKey(p *healthcare.Patient) string {
	return healthcare.SearchKey(p.FirstName, p.LastName, p.Email)
}

// patientWriteError turns the one unique rule on patients into its field error.
func patientWriteError(op string, err error) error {
	if classify(err) == uniqueViolation {
		return healthcare.FieldError("email", msgPatientEmailHeld)
	}
	return fmt.Errorf("%s: %w", op, err)
}

const updatePatientSQL = `UPDATE patients SET first_name = $1, last_name = $2, email = $3, email_key = $4,
dob = $5, notes = $6, search_key = $7, updated_at = $8, version = version + 1
WHERE id = $9 AND owner_id = $10 AND version = $11`

// UpdatePatient changes the fields set in upd on one of the caller's patients.
func (s *PatientService) UpdatePatient(ctx context.Context, id int64, upd healthcare.PatientUpdate, ifMatch *healthcare.IfMatch) (*healthcare.Patient, error) {
	owner, err := ownerID(ctx)
	if err != nil {
		return nil, err
	}
	ev := newEvent(ctx, healthcare.ActionPatientUpdate, "patient", id)
	ev.PatientID = id
	var p *healthcare.Patient
	err = s.db.withTx(ctx, func(tx handle) error {
		if p, err = findPatient(ctx, tx, owner, id, s.db.dialect.forUpdate); err != nil {
			return err
		}
		if !ifMatch.Matches(p.Version) {
			return errPrecondition()
		}
		now := s.db.now()
		before := *p
		upd.Apply(p)
		p.DOB = dateOnly(p.DOB)
		if err := checkPatient(ctx, tx, owner, id, p, upd.Problems, today(now)); err != nil {
			return err
		}
		if *p == before {
			// Nothing changes: no write, so the ETag and updated_at stay and
			// an editor holding them is not refused for nothing.
			ev.OwnerID = owner
			return s.db.audit.insertTx(ctx, tx, ev)
		}
		res, err := tx.exec(ctx, updatePatientSQL, p.FirstName, p.LastName, p.Email, healthcare.Fold(p.Email),
			p.DOB, p.Notes, patientSearchKey(p), now, id, owner, p.Version)
		if err != nil {
			return patientWriteError("update patient", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update patient: %w", err)
		} else if n != 1 {
			return errPrecondition()
		}
		p.UpdatedAt = now
		p.Version++
		ev.OwnerID = owner
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	return p, nil
}

func errPrecondition() error {
	return healthcare.Errorf(healthcare.EPRECONDITION, "The resource has changed since it was read (If-Match does not match).")
}

const deletePatientSQL = `DELETE FROM patients WHERE id = $1 AND owner_id = $2 AND version = $3`

// DeletePatient deletes one of the caller's patients; its assignments go
// with it by ON DELETE CASCADE.
func (s *PatientService) DeletePatient(ctx context.Context, id int64, ifMatch *healthcare.IfMatch) error {
	owner, err := ownerID(ctx)
	if err != nil {
		return err
	}
	ev := newEvent(ctx, healthcare.ActionPatientDelete, "patient", id)
	ev.PatientID = id
	err = s.db.withTx(ctx, func(tx handle) error {
		p, err := findPatient(ctx, tx, owner, id, s.db.dialect.forUpdate)
		if err != nil {
			return err
		}
		if !ifMatch.Matches(p.Version) {
			return errPrecondition()
		}
		res, err := tx.exec(ctx, deletePatientSQL, id, owner, p.Version)
		if err != nil {
			return fmt.Errorf("delete patient: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete patient: %w", err)
		} else if n != 1 {
			return errPrecondition()
		}
		ev.OwnerID = owner
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}
