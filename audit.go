package healthcare

import (
	"context"
	"time"
)

// Audit actions: what was done, as "object.verb".
const (
	ActionPatientCreate    = "patient.create"
	ActionPatientRead      = "patient.read"
	ActionPatientList      = "patient.list"
	ActionPatientUpdate    = "patient.update"
	ActionPatientDelete    = "patient.delete"
	ActionAssignmentCreate = "assignment.create"
	ActionAssignmentList   = "assignment.list"
	ActionAssignmentDelete = "assignment.delete"
	ActionDoctorCreate     = "doctor.create"
	ActionDoctorUpdate     = "doctor.update"
	ActionDoctorDelete     = "doctor.delete"
	ActionRegister         = "auth.register"
	ActionLogin            = "auth.login"
	ActionLoginFailed      = "auth.login_failed"
	ActionRefresh          = "auth.refresh"
	ActionLogout           = "auth.logout"
	ActionTokenReuse       = "auth.token_reuse" // #nosec G101 -- an action name, not a credential
	ActionPasswordChange   = "auth.password_change"
	ActionImportDjango     = "import.django" // healthcare import django
)

// Audit outcomes.
const (
	OutcomeOK       = "ok"
	OutcomeDenied   = "denied"
	OutcomeNotFound = "not_found"
	OutcomeInvalid  = "invalid"
)

// AuditEvent records one action on patient data or one authentication
// event. It never holds names, emails, dates of birth, notes, passwords or
// tokens: only ids, codes and request metadata.
type AuditEvent struct {
	ID         int64
	At         time.Time
	ActorID    int64 // 0: no authenticated actor
	Action     string
	ObjectType string // "patient", "doctor", "assignment", "user", "token", "import"
	ObjectID   int64  // 0: none
	PatientID  int64  // 0: none
	// PatientIDs are the patients a list request returned.
	PatientIDs []int64
	// OwnerID is the owner of the patients involved, so that owners see the
	// events on their patients; 0 when none is known.
	OwnerID    int64
	Outcome    string
	ClientAddr string
	RequestID  string
	// SubjectHash is a keyed hash of a login name that matched no account,
	// to correlate failed logins without storing the name.
	SubjectHash string
	// Detail is what an event of the command line says about itself (an
	// import's source and counts); empty for requests. Never names a person.
	Detail string
	// Reason is what a staff member typed to open a patient record.
	Reason string
}

// AuditFilter selects a page of events.
type AuditFilter struct {
	ListOptions
	PatientID int64
	Action    string
	ActorID   int64 // 0: any
	// Involving selects the events an account made or that concern it or
	// its patients; 0: any.
	Involving int64
	Outcome   string // "": any
	Since     *time.Time
	Until     *time.Time
}

// AuditService reads the audit trail. Nothing changes or deletes an event.
type AuditService interface {
	// FindEvents returns a page of events, newest first: for a staff caller
	// all of them, else those the caller made and those on the caller's
	// patients. ENOTFOUND for a page past the end.
	FindEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)
}

// OutcomeOf names the outcome of an action that ended with err.
func OutcomeOf(err error) string {
	switch ErrorCode(err) {
	case "":
		return OutcomeOK
	case ENOTFOUND:
		return OutcomeNotFound
	case EINVALID, EPRECONDITION:
		return OutcomeInvalid
	default:
		return OutcomeDenied
	}
}
