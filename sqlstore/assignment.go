package sqlstore

import (
	"context"
	"fmt"

	"github.com/clinicapi/healthcare"
)

// AssignmentService implements healthcare.AssignmentService. Assignments
// have no owner of their own: every query joins the patient and puts the
// caller in the WHERE clause.
type AssignmentService struct {
	db *DB
}

var _ healthcare.AssignmentService = (*AssignmentService)(nil)

// NewAssignmentService returns an AssignmentService on db.
func NewAssignmentService(db *DB) *AssignmentService { return &AssignmentService{db: db} }

func invalidPK(id int64) string {
	return fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", id)
}

const insertAssignmentSQL = `INSERT INTO assignments (patient_id, doctor_id, owner_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id`

// CreateAssignment assigns a doctor to one of the caller's patients.
func (s *AssignmentService) CreateAssignment(ctx context.Context, a *healthcare.Assignment, problems healthcare.FieldErrors) error {
	owner, err := ownerID(ctx)
	if err != nil {
		return err
	}
	ev := newEvent(ctx, healthcare.ActionAssignmentCreate, "assignment", 0)
	ev.PatientID = a.PatientID
	lock := s.db.dialect.forShare // neither row may vanish before the insert
	err = s.db.withTx(ctx, func(tx handle) error {
		// As DRF validates each field: one the request got wrong has that
		// problem, the other is still looked up.
		errs := withProblems(nil, problems)
		if _, bad := errs["patient"]; !bad {
			if _, err := findPatient(ctx, tx, owner, a.PatientID, lock); healthcare.ErrorCode(err) == healthcare.ENOTFOUND {
				errs.Add("patient", invalidPK(a.PatientID))
			} else if err != nil {
				return err
			}
		}
		var d *healthcare.Doctor
		if _, bad := errs["doctor"]; !bad {
			var err error
			d, err = findDoctor(ctx, tx, a.DoctorID, lock)
			if healthcare.ErrorCode(err) == healthcare.ENOTFOUND {
				errs.Add("doctor", invalidPK(a.DoctorID))
			} else if err != nil {
				return err
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		a.Doctor, a.CreatedAt = d, s.db.now()
		err = tx.queryRow(ctx, insertAssignmentSQL, a.PatientID, a.DoctorID, owner, a.CreatedAt).Scan(&a.ID)
		if classify(err) == uniqueViolation {
			return healthcare.FieldError(healthcare.NonFieldErrors, healthcare.MsgUniquePair)
		} else if err != nil {
			return fmt.Errorf("insert assignment: %w", err)
		}
		ev.ObjectID, ev.OwnerID = a.ID, owner
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}

var assignmentOrder = map[string]string{
	"id": "a.id", "patient": "a.patient_id", "doctor": "a.doctor_id", "created_at": "a.created_at",
}

// The owner is on the assignment itself (set from the patient's at insert;
// a patient never changes owner), so the list is one index range, and the
// patients are joined only to search their names.
const (
	findAssignmentsSQL = `SELECT a.id, a.patient_id, a.doctor_id, a.created_at,
d.first_name, d.last_name, d.specialization, count(*) OVER ()
FROM assignments a
JOIN doctors d ON d.id = a.doctor_id`
	joinPatientsSQL     = ` JOIN patients p ON p.id = a.patient_id`
	assignmentsOwnerSQL = ` WHERE a.owner_id = $1`
)

// searchNames adds the Django design's search of assignments: every term
// in the patient's or the doctor's first or last name. Search keys start
// with the names, joined by \x1f (patients: first, last, email; doctors:
// first, last, email, specialization), and a term holds no \x1f, so a
// match followed by one more separator (two for a doctor) is in a name.
func (q *query) searchNames(search string) {
	for _, t := range searchTerms(search) {
		q.sql.WriteString(" AND (p.search_key LIKE ")
		q.sql.WriteString(q.arg("%" + escapeLike(t) + "%\x1f%"))
		q.sql.WriteString(` ESCAPE '\' OR d.search_key LIKE `)
		q.sql.WriteString(q.arg("%" + escapeLike(t) + "%\x1f%\x1f%"))
		q.sql.WriteString(` ESCAPE '\')`)
	}
}

// FindAssignments returns a page of the assignments of the caller's patients.
func (s *AssignmentService) FindAssignments(ctx context.Context, opt healthcare.ListOptions) ([]*healthcare.Assignment, int, error) {
	owner, err := ownerID(ctx)
	if err != nil {
		return nil, 0, err
	}
	sql := findAssignmentsSQL + assignmentsOwnerSQL
	if len(searchTerms(opt.Search)) > 0 {
		sql = findAssignmentsSQL + joinPatientsSQL + assignmentsOwnerSQL
	}
	q := newQuery(sql, owner)
	q.searchNames(opt.Search)
	if err := q.page(ctx, s.db.pool(), &opt, assignmentOrder, "a.id"); err != nil {
		return nil, 0, err
	}
	ev := newEvent(ctx, healthcare.ActionAssignmentList, "assignment", 0)
	list, total, err := s.findAssignments(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	if total, err = pageResult(opt, len(list), total); err != nil {
		return nil, 0, s.db.audit.recordFailure(ctx, ev, err)
	}
	ev.OwnerID = owner
	seen := map[int64]bool{}
	for _, a := range list {
		if !seen[a.PatientID] {
			seen[a.PatientID] = true
			ev.PatientIDs = append(ev.PatientIDs, a.PatientID)
		}
	}
	if err := s.db.audit.record(ctx, ev); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// findAssignments scans every row into one assignment and doctor and
// copies them into a page allocated once (see findPatients).
func (s *AssignmentService) findAssignments(ctx context.Context, q *query) ([]*healthcare.Assignment, int, error) {
	var (
		page    []healthcare.Assignment
		doctors []healthcare.Doctor
		a       healthcare.Assignment
		d       healthcare.Doctor
		total   int
	)
	dest := []any{&a.ID, &a.PatientID, &a.DoctorID, &a.CreatedAt, &d.FirstName, &d.LastName, &d.Specialization, &total}
	err := s.db.pool().each(ctx, q.String(), q.args, func(row scanner) error {
		if err := row.Scan(dest...); err != nil {
			return fmt.Errorf("scan assignment: %w", err)
		}
		d.ID, a.CreatedAt = a.DoctorID, a.CreatedAt.UTC()
		page, doctors = append(page, a), append(doctors, d)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find assignments: %w", err)
	}
	list := make([]*healthcare.Assignment, len(page))
	for i := range page {
		page[i].Doctor = &doctors[i]
		list[i] = &page[i]
	}
	return list, total, nil
}

var patientDoctorOrder = orderColumns("d.", healthcare.DoctorOrderFields)

const findDoctorsOfPatientSQL = `SELECT d.id, d.first_name, d.last_name, d.email, d.specialization,
d.created_at, d.updated_at, count(*) OVER ()
FROM doctors d
JOIN assignments a ON a.doctor_id = d.id
JOIN patients p ON p.id = a.patient_id
WHERE a.patient_id = $1 AND p.owner_id = $2`

// FindDoctorsOfPatient returns a page of the doctors assigned to one of the
// caller's patients.
func (s *AssignmentService) FindDoctorsOfPatient(ctx context.Context, patientID int64, opt healthcare.ListOptions) ([]*healthcare.Doctor, int, error) {
	owner, err := ownerID(ctx)
	if err != nil {
		return nil, 0, err
	}
	q := newQuery(findDoctorsOfPatientSQL, patientID, owner)
	q.search("d.search_key", opt.Search)
	if err := q.page(ctx, s.db.pool(), &opt, patientDoctorOrder, "d.id"); err != nil {
		return nil, 0, err
	}
	ev := newEvent(ctx, healthcare.ActionAssignmentList, "patient", patientID)
	ev.PatientID = patientID
	// An empty list must not hide that the patient is not the caller's.
	if _, err := findPatient(ctx, s.db.pool(), owner, patientID, ""); err != nil {
		return nil, 0, s.db.audit.recordFailure(ctx, ev, err)
	}
	doctors, total, err := s.db.findDoctors(ctx, opt, q)
	if err != nil {
		return nil, 0, s.db.audit.recordFailure(ctx, ev, err)
	}
	ev.OwnerID = owner
	if err := s.db.audit.record(ctx, ev); err != nil {
		return nil, 0, err
	}
	return doctors, total, nil
}

const deleteAssignmentSQL = `DELETE FROM assignments WHERE id = $1 AND owner_id = $2 RETURNING patient_id`

// DeleteAssignment removes an assignment of one of the caller's patients.
func (s *AssignmentService) DeleteAssignment(ctx context.Context, id int64) error {
	owner, err := ownerID(ctx)
	if err != nil {
		return err
	}
	ev := newEvent(ctx, healthcare.ActionAssignmentDelete, "assignment", id)
	err = s.db.withTx(ctx, func(tx handle) error {
		err := tx.queryRow(ctx, deleteAssignmentSQL, id, owner).Scan(&ev.PatientID)
		if isNoRows(err) {
			return healthcare.NotFound()
		} else if err != nil {
			return fmt.Errorf("delete assignment: %w", err)
		}
		ev.OwnerID = owner
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}
