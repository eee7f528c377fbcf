package healthcare

import (
	"context"
	"time"
)

// Assignment links one of the caller's patients to a doctor.
type Assignment struct {
	ID        int64
	PatientID int64
	DoctorID  int64
	Doctor    *Doctor // filled in by the store
	CreatedAt time.Time
}

// AssignmentOrderFields are the fields an assignment list can be ordered by.
var AssignmentOrderFields = []string{"id", "patient", "doctor", "created_at"}

// MsgUniquePair is DRF's message for the same pair assigned twice.
const MsgUniquePair = "The fields patient, doctor must make a unique set."

// AssignmentService manages assignments of the caller's own patients.
type AssignmentService interface {
	// CreateAssignment assigns a doctor to a patient of the caller. EINVALID
	// under "patient" or "doctor" when either is not found (another owner's
	// patient is not found), or under NonFieldErrors for a pair that exists.
	// problems are those found reading the request (nil if none): a field
	// with one is not looked up, the other still is.
	CreateAssignment(ctx context.Context, a *Assignment, problems FieldErrors) error
	// FindAssignments returns a page of the assignments of the caller's
	// patients and the total count. ENOTFOUND for a page past the end.
	FindAssignments(ctx context.Context, opt ListOptions) ([]*Assignment, int, error)
	// FindDoctorsOfPatient returns a page of the doctors assigned to one of
	// the caller's patients. ENOTFOUND for another owner's patient too.
	FindDoctorsOfPatient(ctx context.Context, patientID int64, opt ListOptions) ([]*Doctor, int, error)
	// DeleteAssignment removes an assignment of the caller's patient. ENOTFOUND.
	DeleteAssignment(ctx context.Context, id int64) error
}
