package healthcare

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Audit actions of the staff console.
const (
	ActionConsoleSignIn       = "console.sign_in"
	ActionConsoleSignInFailed = "console.sign_in_failed"
	ActionConsoleSignOut      = "console.sign_out"
	ActionUserDeactivate      = "user.deactivate"
	ActionUserReactivate      = "user.reactivate"
	ActionUserPasswordReset   = "user.password_reset"
	ActionUserStaffGrant      = "user.staff_grant"
	ActionUserStaffRevoke     = "user.staff_revoke"
	// ActionPatientStaffRead is a staff member opening a patient record with
	// a stated reason ("break-the-glass"); its owner sees it.
	ActionPatientStaffRead = "patient.staff_read"
	ActionAuditExport      = "audit.export"
)

// MaxReasonLength bounds the reason a staff member gives to open a record.
const MaxReasonLength = 500

// CheckReason returns the reason a staff member typed to open a record,
// trimmed, or why it is refused: a reason must show something (zero-width
// spaces, fillers and lone combining marks do not), and holds no control
// characters, since it is written to the audit trail and its exports.
func CheckReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case Visible(reason) == "":
		return "", FieldError("reason", MsgBlank)
	case n > MaxReasonLength:
		return "", FieldError("reason", fmt.Sprintf("Ensure this field has no more than %d characters.", MaxReasonLength))
	case strings.ContainsFunc(reason, unicode.IsControl):
		return "", FieldError("reason", "Control characters are not allowed.")
	}
	return reason, nil
}

// MsgLastStaff refuses to demote or deactivate the last active staff account.
const MsgLastStaff = "This is the last active staff account: grant staff to another account first."

// MsgConsoleSignIn is the console's one answer to a sign-in that fails,
// whatever the reason: wrong password, unknown name, inactive or not staff.
const MsgConsoleSignIn = "Please enter the correct username and password for a staff account. Note that both fields may be case-sensitive."

// SessionService keeps the staff console's server-side sessions.
type SessionService interface {
	// SignIn checks the credentials of an active staff account, counting
	// them against the login throttle, and starts a session whose secret id
	// it returns. ENOACTIVEACCOUNT for any account that is not active staff
	// (with MsgConsoleSignIn), ETHROTTLED.
	SignIn(ctx context.Context, login, password string) (string, error)
	// Session returns the account of a live session and records its use.
	// ENOTAUTHENTICATED for a session that is unknown, idle too long, too
	// old, or whose account is no longer active staff or has changed its
	// password since.
	Session(ctx context.Context, id string) (*User, error)
	// SignOut ends a session; an unknown one is no error.
	SignOut(ctx context.Context, id string) error
}

// UserFilter selects a page of accounts.
type UserFilter struct {
	ListOptions
	Active *bool
	Staff  *bool
}

// Dashboard is the console's overview.
type Dashboard struct {
	Users, Staff, Patients, Doctors, Assignments int
	// Hours are the last 24 hours, oldest first.
	Hours []HourCount
	// AuditLag is how long the last batch of audit events waited to be
	// written; AuditQueued how many requests wait now.
	AuditLag    time.Duration
	AuditQueued int
}

// HourCount counts failed sign-ins and throttled requests in one hour.
type HourCount struct {
	Start         time.Time
	FailedSignIns int
	Throttled     int
}

// StaffService is what the staff console does beyond the API's services.
// Every method requires a staff caller in the context: EPERMISSION
// otherwise. Every change is audited with the caller as actor.
type StaffService interface {
	// FindUsers returns a page of accounts and their count. ENOTFOUND for
	// a page past the end.
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
	// FindUserByID returns one account. ENOTFOUND.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// SetUserActive deactivates or reactivates an account; deactivation
	// revokes its refresh tokens and ends its console sessions. ENOTFOUND,
	// EINVALID (MsgLastStaff).
	SetUserActive(ctx context.Context, id int64, active bool) (*User, error)
	// SetUserStaff grants or revokes staff. ENOTFOUND, EINVALID (MsgLastStaff).
	SetUserStaff(ctx context.Context, id int64, staff bool) (*User, error)
	// ResetPassword sets an account's password under the password policy;
	// every token and session of the account ends. ENOTFOUND, EINVALID
	// under "password".
	ResetPassword(ctx context.Context, id int64, password string) error
	// CountDoctorPatients is the number of patients assigned to a doctor.
	CountDoctorPatients(ctx context.Context, doctorID int64) (int, error)
	// ReadPatient returns any owner's patient, recording the reason given.
	// ENOTFOUND, EINVALID under "reason" when it is blank or too long.
	ReadPatient(ctx context.Context, id int64, reason string) (*Patient, error)
	// ExportEvents calls fn for every event the filter selects, newest
	// first, as a stream; the export itself is audited first.
	ExportEvents(ctx context.Context, f AuditFilter, fn func(*AuditEvent) error) error
	// Dashboard returns the counts and the last day's failures.
	Dashboard(ctx context.Context) (*Dashboard, error)
}

// RequireStaff returns EPERMISSION unless the caller is active staff.
func RequireStaff(ctx context.Context) (*User, error) {
	u := UserFromContext(ctx)
	if u == nil {
		return nil, NotAuthenticated()
	}
	if !u.IsStaff || !u.IsActive {
		return nil, Errorf(EPERMISSION, "You do not have permission to perform this action.")
	}
	return u, nil
}
