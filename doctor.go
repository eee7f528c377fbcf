package healthcare

import (
	"context"
	"time"
)

// Doctor is an entry of the directory shared by every account.
type Doctor struct {
	ID             int64
	FirstName      string
	LastName       string
	Email          string
	Specialization string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DoctorOrderFields are the fields a doctor list can be ordered by.
var DoctorOrderFields = []string{"id", "first_name", "last_name", "email", "specialization", "created_at", "updated_at"}

// Validate reports the problems with the doctor's fields.
func (d *Doctor) Validate() error {
	errs := FieldErrors{}
	checkName(errs, "first_name", d.FirstName, MaxNameLength)
	checkName(errs, "last_name", d.LastName, MaxNameLength)
	checkEmail(errs, "email", d.Email)
	checkName(errs, "specialization", d.Specialization, MaxNameLength)
	return errs.Err()
}

// DoctorUpdate holds the fields to change; nil leaves a field as it is.
type DoctorUpdate struct {
	FirstName      *string
	LastName       *string
	Email          *string
	Specialization *string
	// Problems are format errors found while reading the request, reported
	// once the doctor is found.
	Problems FieldErrors
	// IfUpdatedAt, when set, is the version the change was made on: the
	// update is refused with EPRECONDITION if the doctor changed since.
	IfUpdatedAt *time.Time
}

// Apply sets the non-nil fields on d.
func (u DoctorUpdate) Apply(d *Doctor) {
	if v := u.FirstName; v != nil {
		d.FirstName = *v
	}
	if v := u.LastName; v != nil {
		d.LastName = *v
	}
	if v := u.Email; v != nil {
		d.Email = *v
	}
	if v := u.Specialization; v != nil {
		d.Specialization = *v
	}
}

// DoctorFilter selects a page of doctors.
type DoctorFilter struct {
	ListOptions
	Specialization string // exact, case-insensitive; empty for any
}

// DoctorService manages the doctor directory.
type DoctorService interface {
	// FindDoctorByID returns one doctor. ENOTFOUND.
	FindDoctorByID(ctx context.Context, id int64) (*Doctor, error)
	// FindDoctors returns a page of doctors and the total count. ENOTFOUND
	// for a page past the end.
	FindDoctors(ctx context.Context, f DoctorFilter) ([]*Doctor, int, error)
	// CreateDoctor stores d. EINVALID, including an email already listed.
	// problems are those found reading the request (nil if none), reported
	// with d's own.
	CreateDoctor(ctx context.Context, d *Doctor, problems FieldErrors) error
	// UpdateDoctor changes the fields set in upd. ENOTFOUND, EINVALID,
	// EPRECONDITION when upd.IfUpdatedAt no longer matches.
	UpdateDoctor(ctx context.Context, id int64, upd DoctorUpdate) (*Doctor, error)
	// DeleteDoctor removes a doctor. ENOTFOUND, EDOCTORASSIGNED while any
	// patient is still assigned to it.
	DeleteDoctor(ctx context.Context, id int64) error
}
