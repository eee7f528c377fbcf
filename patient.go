package healthcare

import (
	"context"
	"time"
)

// MaxNameLength bounds patient and doctor names and the specialization.
const MaxNameLength = 100

// Patient is a record kept by, and visible only to, its owner.
type Patient struct {
	ID        int64
	OwnerID   int64
	FirstName string
	LastName  string
	Email     string
	DOB       time.Time // a date, at midnight UTC
	Notes     string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64 // bumped by every update; the ETag
}

// PatientOrderFields are the fields a patient list can be ordered by.
var PatientOrderFields = []string{"id", "first_name", "last_name", "email", "dob", "created_at", "updated_at"}

// Validate reports the problems with the patient's fields; today is the
// current date, since a date of birth cannot be later.
func (p *Patient) Validate(today time.Time) error {
	errs := FieldErrors{}
	checkName(errs, "first_name", p.FirstName, MaxNameLength)
	checkName(errs, "last_name", p.LastName, MaxNameLength)
	checkEmail(errs, "email", p.Email)
	if p.DOB.After(today) {
		errs.Add("dob", "Date of birth cannot be in the future.")
	}
	return errs.Err()
}

// PatientUpdate holds the fields to change; nil leaves a field as it is.
type PatientUpdate struct {
	FirstName *string
	LastName  *string
	Email     *string
	DOB       *time.Time
	Notes     *string
	// Problems are format errors found while reading the request. They are
	// reported only once the patient is found, so that another owner's
	// patient is a 404 whatever the body.
	Problems FieldErrors
}

// Apply sets the non-nil fields on p.
func (u PatientUpdate) Apply(p *Patient) {
	if v := u.FirstName; v != nil {
		p.FirstName = *v
	}
	if v := u.LastName; v != nil {
		p.LastName = *v
	}
	if v := u.Email; v != nil {
		p.Email = *v
	}
	if v := u.DOB; v != nil {
		p.DOB = *v
	}
	if v := u.Notes; v != nil {
		p.Notes = *v
	}
}

// IfMatch is an If-Match precondition: nil means none; otherwise the write
// goes ahead only if the current version is one of Versions, or Any.
type IfMatch struct {
	Any      bool
	Versions []int64
}

// Matches reports whether version satisfies the precondition.
func (m *IfMatch) Matches(version int64) bool {
	if m == nil || m.Any {
		return true
	}
	for _, v := range m.Versions {
		if v == version {
			return true
		}
	}
	return false
}

// PatientService manages the patients of the user in the context. Another
// owner's patient is reported exactly as one that does not exist.
type PatientService interface {
	// FindPatientByID returns one patient. ENOTFOUND.
	FindPatientByID(ctx context.Context, id int64) (*Patient, error)
	// FindPatients returns a page of patients and the total count.
	// ENOTFOUND for a page past the end.
	FindPatients(ctx context.Context, opt ListOptions) ([]*Patient, int, error)
	// CreatePatient stores p, owned by the caller, and fills in its id and
	// timestamps. EINVALID. problems are those found reading the request
	// (nil if none); they are reported with p's own, email already held
	// included, as DRF reports every field's errors at once.
	CreatePatient(ctx context.Context, p *Patient, problems FieldErrors) error
	// UpdatePatient changes the fields set in upd. ENOTFOUND, EINVALID,
	// EPRECONDITION when ifMatch no longer matches.
	UpdatePatient(ctx context.Context, id int64, upd PatientUpdate, ifMatch *IfMatch) (*Patient, error)
	// DeletePatient deletes a patient and its assignments. ENOTFOUND,
	// EPRECONDITION.
	DeletePatient(ctx context.Context, id int64, ifMatch *IfMatch) error
}
