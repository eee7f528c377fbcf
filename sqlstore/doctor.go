package sqlstore

import (
	"context"
	"fmt"

	"github.com/clinicapi/healthcare"
)

// DoctorService implements healthcare.DoctorService.
type DoctorService struct {
	db *DB
}

var _ healthcare.DoctorService = (*DoctorService)(nil)

// NewDoctorService returns a DoctorService on db.
func NewDoctorService(db *DB) *DoctorService { return &DoctorService{db: db} }

const doctorColumns = `id, first_name, last_name, email, specialization, created_at, updated_at`

func scanDoctor(row scanner, extra ...any) (*healthcare.Doctor, error) {
	var d healthcare.Doctor
	dest := append([]any{&d.ID, &d.FirstName, &d.LastName, &d.Email, &d.Specialization, &d.CreatedAt, &d.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

const findDoctorSQL = `SELECT ` + doctorColumns + ` FROM doctors WHERE id = $1`

func findDoctor(ctx context.Context, tx handle, id int64, lock string) (*healthcare.Doctor, error) {
	d, err := scanDoctor(tx.queryRow(ctx, findDoctorSQL+lock, id))
	if isNoRows(err) {
		return nil, healthcare.NotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find doctor: %w", err)
	}
	return d, nil
}

// FindDoctorByID returns one doctor.
func (s *DoctorService) FindDoctorByID(ctx context.Context, id int64) (*healthcare.Doctor, error) {
	return findDoctor(ctx, s.db.pool(), id, "")
}

var doctorOrder = orderColumns("", healthcare.DoctorOrderFields)

// The constant condition lets every filter be appended as " AND …".
const findDoctorsSQL = `SELECT ` + doctorColumns + `, count(*) OVER () FROM doctors WHERE 1 = 1`

// FindDoctors returns a page of the directory and its count.
func (s *DoctorService) FindDoctors(ctx context.Context, f healthcare.DoctorFilter) ([]*healthcare.Doctor, int, error) {
	q := newQuery(findDoctorsSQL)
	if f.Specialization != "" {
		q.where("specialization_key = %s", healthcare.Fold(f.Specialization))
	}
	q.search("search_key", f.Search)
	if err := q.page(ctx, s.db.pool(), &f.ListOptions, doctorOrder, "id"); err != nil {
		return nil, 0, err
	}
	return s.db.findDoctors(ctx, f.ListOptions, q)
}

// findDoctors runs a doctor list query whose last column is the window count.
func (db *DB) findDoctors(ctx context.Context, opt healthcare.ListOptions, q *query) ([]*healthcare.Doctor, int, error) {
	var (
		doctors []*healthcare.Doctor
		total   int
	)
	err := db.pool().each(ctx, q.String(), q.args, func(row scanner) error {
		d, err := scanDoctor(row, &total)
		if err != nil {
			return fmt.Errorf("scan doctor: %w", err)
		}
		doctors = append(doctors, d)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find doctors: %w", err)
	}
	total, err = pageResult(opt, len(doctors), total)
	return doctors, total, err
}

func doctorSearchKey(d *healthcare.Doctor) string {
	return healthcare.SearchKey(d.FirstName, d.LastName, d.Email, d.Specialization)
}

func doctorWriteError(op string, err error) error {
	if classify(err) == uniqueViolation {
		return healthcare.FieldError("email", msgDoctorEmailHeld)
	}
	return fmt.Errorf("%s: %w", op, err)
}

const msgDoctorEmailHeld = "doctor with this email already exists."

const doctorEmailHeldSQL = `SELECT count(*) FROM doctors WHERE email_key = $1 AND id <> $2`

// checkDoctor reports d's problems with those found reading the request,
// an email another doctor holds among them, as checkPatient does.
func checkDoctor(ctx context.Context, h handle, id int64, d *healthcare.Doctor, problems healthcare.FieldErrors) error {
	errs := withProblems(d.Validate(), problems)
	if len(errs) == 0 {
		return nil
	}
	if _, bad := errs["email"]; !bad {
		var n int
		if err := h.queryRow(ctx, doctorEmailHeldSQL, healthcare.Fold(d.Email), id).Scan(&n); err != nil {
			return fmt.Errorf("check doctor email: %w", err)
		}
		if n > 0 {
			errs.Add("email", msgDoctorEmailHeld)
		}
	}
	return errs.Err()
}

const insertDoctorSQL = `INSERT INTO doctors
(first_name, last_name, email, email_key, specialization, specialization_key, search_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`

// CreateDoctor adds d to the directory.
func (s *DoctorService) CreateDoctor(ctx context.Context, d *healthcare.Doctor, problems healthcare.FieldErrors) error {
	ev := newEvent(ctx, healthcare.ActionDoctorCreate, "doctor", 0)
	if err := checkDoctor(ctx, s.db.pool(), 0, d, problems); err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	now := s.db.now()
	d.CreatedAt, d.UpdatedAt = now, now
	err := s.db.withTx(ctx, func(tx handle) error {
		err := tx.queryRow(ctx, insertDoctorSQL, d.FirstName, d.LastName, d.Email, healthcare.Fold(d.Email),
			d.Specialization, healthcare.Fold(d.Specialization), doctorSearchKey(d), now).Scan(&d.ID)
		if err != nil {
			return doctorWriteError("insert doctor", err)
		}
		ev.ObjectID = d.ID
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}

const updateDoctorSQL = `UPDATE doctors SET first_name = $1, last_name = $2, email = $3, email_key = $4,
specialization = $5, specialization_key = $6, search_key = $7, updated_at = $8 WHERE id = $9`

// UpdateDoctor changes the fields set in upd.
func (s *DoctorService) UpdateDoctor(ctx context.Context, id int64, upd healthcare.DoctorUpdate) (*healthcare.Doctor, error) {
	ev := newEvent(ctx, healthcare.ActionDoctorUpdate, "doctor", id)
	var d *healthcare.Doctor
	err := s.db.withTx(ctx, func(tx handle) (err error) {
		if d, err = findDoctor(ctx, tx, id, s.db.dialect.forUpdate); err != nil {
			return err
		}
		if upd.IfUpdatedAt != nil && !d.UpdatedAt.Equal(*upd.IfUpdatedAt) {
			return errPrecondition()
		}
		upd.Apply(d)
		if err := checkDoctor(ctx, tx, id, d, upd.Problems); err != nil {
			return err
		}
		d.UpdatedAt = s.db.now()
		_, err = tx.exec(ctx, updateDoctorSQL, d.FirstName, d.LastName, d.Email, healthcare.Fold(d.Email),
			d.Specialization, healthcare.Fold(d.Specialization), doctorSearchKey(d), d.UpdatedAt, id)
		if err != nil {
			return doctorWriteError("update doctor", err)
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	return d, nil
}

const deleteDoctorSQL = `DELETE FROM doctors WHERE id = $1`

// DeleteDoctor removes a doctor no patient is assigned to; the foreign key
// from assignments refuses it otherwise, with no window for a race.
func (s *DoctorService) DeleteDoctor(ctx context.Context, id int64) error {
	ev := newEvent(ctx, healthcare.ActionDoctorDelete, "doctor", id)
	err := s.db.withTx(ctx, func(tx handle) error {
		res, err := tx.exec(ctx, deleteDoctorSQL, id)
		if classify(err) == foreignKeyViolation {
			return healthcare.Errorf(healthcare.EDOCTORASSIGNED,
				"This doctor is still assigned to patients; remove those assignments first.")
		} else if err != nil {
			return fmt.Errorf("delete doctor: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete doctor: %w", err)
		} else if n == 0 {
			return healthcare.NotFound()
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}
