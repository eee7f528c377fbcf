package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/clinicapi/healthcare"
)

// StaffService implements healthcare.StaffService, for the staff console.
type StaffService struct {
	db   *DB
	auth *AuthService
}

var _ healthcare.StaffService = (*StaffService)(nil)

// NewStaffService returns a StaffService that sets passwords as auth does.
func NewStaffService(auth *AuthService) *StaffService { return &StaffService{db: auth.db, auth: auth} }

var userOrder = map[string]string{"id": "id", "username": "username_key", "email": "email_key", "date_joined": "date_joined"}

const findUsersSQL = `SELECT ` + userColumns + `, count(*) OVER () FROM users WHERE 1 = 1`

// FindUsers returns a page of accounts, searched by username and email.
func (s *StaffService) FindUsers(ctx context.Context, f healthcare.UserFilter) ([]*healthcare.User, int, error) {
	if _, err := healthcare.RequireStaff(ctx); err != nil {
		return nil, 0, err
	}
	q := newQuery(findUsersSQL)
	for _, t := range searchTerms(f.Search) {
		q.where(`(username_key LIKE %[1]s ESCAPE '\' OR email_key LIKE %[1]s ESCAPE '\')`, "%"+escapeLike(t)+"%")
	}
	if f.Active != nil {
		q.where("is_active = %s", *f.Active)
	}
	if f.Staff != nil {
		q.where("is_staff = %s", *f.Staff)
	}
	if err := q.page(ctx, s.db.pool(), &f.ListOptions, userOrder, "id"); err != nil {
		return nil, 0, err
	}
	var (
		users []*healthcare.User
		total int
	)
	err := s.db.pool().each(ctx, q.String(), q.args, func(row scanner) error {
		u, err := scanUser(row, &total)
		if err != nil {
			return fmt.Errorf("scan user: %w", err)
		}
		users = append(users, u)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find users: %w", err)
	}
	total, err = pageResult(f.ListOptions, len(users), total)
	return users, total, err
}

// FindUserByID returns one account.
func (s *StaffService) FindUserByID(ctx context.Context, id int64) (*healthcare.User, error) {
	if _, err := healthcare.RequireStaff(ctx); err != nil {
		return nil, err
	}
	u, err := findUserByID(ctx, s.db.pool(), id)
	if err != nil {
		return nil, err
	} else if u == nil {
		return nil, healthcare.NotFound()
	}
	return u, nil
}

const lockStaffSQL = `SELECT id FROM users WHERE is_staff = $1 AND is_active = $1 ORDER BY id`

// changeUser runs change on account id in a transaction that holds every
// active staff account's row first (in id order, so two such
// transactions cannot deadlock), so that the last staff rule is checked
// against what concurrent changes committed: of two staff demoting each
// other, the second sees the first's change and is refused.
func (s *StaffService) changeUser(ctx context.Context, id int64, action string,
	change func(tx handle, u *healthcare.User, staff []int64) error) (*healthcare.User, error) {
	actor, err := healthcare.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	ev := newEvent(ctx, action, "user", id)
	ev.OwnerID = id
	var u *healthcare.User
	err = s.db.withTx(ctx, func(tx handle) error {
		var staff []int64
		err := tx.each(ctx, lockStaffSQL+s.db.dialect.forUpdate, []any{true}, func(row scanner) error {
			var sid int64
			staff = append(staff, sid)
			return row.Scan(&staff[len(staff)-1])
		})
		if err != nil {
			return fmt.Errorf("lock staff accounts: %w", err)
		}
		// The caller's own staff rights are checked again here, on the
		// locked rows: a request that passed the session check just before
		// the caller was demoted or deactivated must not act after it.
		if !slices.Contains(staff, actor.ID) {
			return errNoLongerStaff()
		}
		if u, err = findUserByID(ctx, tx, id); err != nil {
			return err
		} else if u == nil {
			return healthcare.NotFound()
		}
		if err := change(tx, u, staff); err != nil {
			return err
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	// This instance forgets the account now, so its very next request is
	// authenticated on the new row; other instances hear of the change from
	// the database (listen.go).
	s.db.users.invalidate(id)
	return u, nil
}

// lastStaff reports whether u is the only active staff account.
func lastStaff(u *healthcare.User, staff []int64) bool {
	return len(staff) == 1 && staff[0] == u.ID
}

// Deactivating also moves the credentials version on, so that access
// tokens issued before it (and tokens of the Django design, which carry
// none) stay refused after a reactivation: the account logs in again.
const setActiveSQL = `UPDATE users SET is_active = $1,
credentials_version = credentials_version + CASE WHEN $1 THEN 0 ELSE 1 END WHERE id = $2`

// endAccess revokes the refresh tokens and console sessions of an
// account; its access tokens are refused by Authenticate, which reads the
// account at every request.
func endAccess(ctx context.Context, tx handle, id int64, now time.Time) error {
	if _, err := tx.exec(ctx, revokeUserTokensSQL, now, id); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	if _, err := tx.exec(ctx, deleteUserSessionsSQL, id); err != nil {
		return fmt.Errorf("end console sessions: %w", err)
	}
	return nil
}

// SetUserActive deactivates or reactivates an account.
func (s *StaffService) SetUserActive(ctx context.Context, id int64, active bool) (*healthcare.User, error) {
	action := healthcare.ActionUserReactivate
	if !active {
		action = healthcare.ActionUserDeactivate
	}
	return s.changeUser(ctx, id, action, func(tx handle, u *healthcare.User, staff []int64) error {
		if !active && lastStaff(u, staff) {
			return healthcare.FieldError(healthcare.NonFieldErrors, healthcare.MsgLastStaff)
		}
		if _, err := tx.exec(ctx, setActiveSQL, active, id); err != nil {
			return fmt.Errorf("set user active: %w", err)
		}
		u.IsActive = active
		if !active {
			return endAccess(ctx, tx, id, s.db.now())
		}
		return nil
	})
}

const setStaffSQL = `UPDATE users SET is_staff = $1 WHERE id = $2`

// SetUserStaff grants or revokes staff.
func (s *StaffService) SetUserStaff(ctx context.Context, id int64, staff bool) (*healthcare.User, error) {
	action := healthcare.ActionUserStaffGrant
	if !staff {
		action = healthcare.ActionUserStaffRevoke
	}
	return s.changeUser(ctx, id, action, func(tx handle, u *healthcare.User, staffIDs []int64) error {
		if !staff && lastStaff(u, staffIDs) {
			return healthcare.FieldError(healthcare.NonFieldErrors, healthcare.MsgLastStaff)
		}
		if _, err := tx.exec(ctx, setStaffSQL, staff, id); err != nil {
			return fmt.Errorf("set user staff: %w", err)
		}
		u.IsStaff = staff
		if !staff {
			if _, err := tx.exec(ctx, deleteUserSessionsSQL, id); err != nil {
				return fmt.Errorf("end console sessions: %w", err)
			}
		}
		return nil
	})
}

// ResetPassword sets an account's password and ends everything it was
// signed in to.
func (s *StaffService) ResetPassword(ctx context.Context, id int64, password string) error {
	if _, err := healthcare.RequireStaff(ctx); err != nil {
		return err
	}
	u, err := findUserByID(ctx, s.db.pool(), id)
	if err != nil {
		return err
	} else if u == nil {
		return healthcare.NotFound()
	}
	errs := healthcare.FieldErrors{}
	if utf8.RuneCountInString(password) > healthcare.MaxPasswordLength {
		errs.Add("password", fmt.Sprintf("Ensure this field has no more than %d characters.", healthcare.MaxPasswordLength))
	} else {
		for _, msg := range s.auth.policy.Check(password, healthcare.Registration{
			Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}) {
			errs.Add("password", msg)
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	hash, err := s.auth.hasher.Hash(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	_, err = s.changeUser(ctx, id, healthcare.ActionUserPasswordReset, func(tx handle, u *healthcare.User, _ []int64) error {
		now := s.db.now()
		if _, err := tx.exec(ctx, changePasswordSQL, hash, now, id); err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		return endAccess(ctx, tx, id, now)
	})
	return err
}

const countDoctorPatientsSQL = `SELECT count(DISTINCT patient_id) FROM assignments WHERE doctor_id = $1`

// CountDoctorPatients is the number of patients assigned to a doctor.
func (s *StaffService) CountDoctorPatients(ctx context.Context, doctorID int64) (int, error) {
	if _, err := healthcare.RequireStaff(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.pool().queryRow(ctx, countDoctorPatientsSQL, doctorID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count doctor's patients: %w", err)
	}
	return n, nil
}

const findAnyPatientSQL = `SELECT ` + patientColumns + ` FROM patients WHERE id = $1`

const activeStaffSQL = `SELECT id FROM users WHERE id = $1 AND is_staff = $2 AND is_active = $2`

func errNoLongerStaff() error {
	return healthcare.Errorf(healthcare.EPERMISSION, "You do not have permission to perform this action.")
}

// stillStaff checks, in tx, that the caller is an active staff account
// now, holding its row until tx ends so that a demotion waits for tx.
func (s *StaffService) stillStaff(ctx context.Context, tx handle, actor *healthcare.User) error {
	var id int64
	err := tx.queryRow(ctx, activeStaffSQL+s.db.dialect.forUpdate, actor.ID, true).Scan(&id)
	if isNoRows(err) {
		return errNoLongerStaff()
	} else if err != nil {
		return fmt.Errorf("check staff: %w", err)
	}
	return nil
}

// ReadPatient returns any owner's patient once the reason is on record.
func (s *StaffService) ReadPatient(ctx context.Context, id int64, reason string) (*healthcare.Patient, error) {
	actor, err := healthcare.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if reason, err = healthcare.CheckReason(reason); err != nil {
		return nil, err
	}
	ev := newEvent(ctx, healthcare.ActionPatientStaffRead, "patient", id)
	ev.PatientID, ev.Reason = id, reason
	var p *healthcare.Patient
	err = s.db.withTx(ctx, func(tx handle) error {
		if err := s.stillStaff(ctx, tx, actor); err != nil {
			return err
		}
		p, err = scanPatient(tx.queryRow(ctx, findAnyPatientSQL, id))
		if isNoRows(err) {
			return healthcare.NotFound()
		} else if err != nil {
			return fmt.Errorf("find patient: %w", err)
		}
		// The owner sees who opened the record, and why.
		ev.OwnerID = p.OwnerID
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	return p, nil
}

const exportFilteredSQL = `SELECT ` + auditColumns + ` FROM audit_events WHERE 1 = 1`

// ExportEvents streams the events f selects, newest first, once the
// export itself is on record.
func (s *StaffService) ExportEvents(ctx context.Context, f healthcare.AuditFilter, fn func(*healthcare.AuditEvent) error) error {
	actor, err := healthcare.RequireStaff(ctx)
	if err != nil {
		return err
	}
	ev := newEvent(ctx, healthcare.ActionAuditExport, "audit", 0)
	ev.PatientID = f.PatientID
	err = s.db.withTx(ctx, func(tx handle) error {
		if err := s.stillStaff(ctx, tx, actor); err != nil {
			return err
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	q := newQuery(exportFilteredSQL)
	filterEvents(q, f)
	q.sql.WriteString(" ORDER BY id DESC")
	return s.db.streamEvents(ctx, q.String(), q.args, fn)
}

const countsSQL = `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM users WHERE is_staff = $1 AND is_active = $1),
(SELECT count(*) FROM patients), (SELECT count(*) FROM doctors), (SELECT count(*) FROM assignments)`

const failedSignInsSQL = `SELECT at FROM audit_events WHERE at >= $1 AND (action = $2 OR action = $3)`

const refusalsSQL = `SELECT hour, refusals FROM throttle_refusals WHERE hour >= $1`

// Dashboard counts the records, and the failed sign-ins (of the API and
// the console) and throttled requests of each of the last 24 hours.
func (s *StaffService) Dashboard(ctx context.Context) (*healthcare.Dashboard, error) {
	if _, err := healthcare.RequireStaff(ctx); err != nil {
		return nil, err
	}
	var d healthcare.Dashboard
	err := s.db.pool().queryRow(ctx, countsSQL, true).Scan(&d.Users, &d.Staff, &d.Patients, &d.Doctors, &d.Assignments)
	if err != nil {
		return nil, fmt.Errorf("count records: %w", err)
	}
	first := s.db.now().Truncate(time.Hour).Add(-23 * time.Hour)
	d.Hours = make([]healthcare.HourCount, 24)
	for i := range d.Hours {
		d.Hours[i].Start = first.Add(time.Duration(i) * time.Hour)
	}
	bucket := func(t time.Time) int { return int(t.UTC().Sub(first) / time.Hour) }
	err = s.db.pool().each(ctx, failedSignInsSQL, []any{first, healthcare.ActionLoginFailed, healthcare.ActionConsoleSignInFailed},
		func(row scanner) error {
			var at time.Time
			if err := row.Scan(&at); err != nil {
				return err
			}
			if i := bucket(at); i >= 0 && i < len(d.Hours) {
				d.Hours[i].FailedSignIns++
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("count failed sign-ins: %w", err)
	}
	err = s.db.pool().each(ctx, refusalsSQL, []any{first}, func(row scanner) error {
		var (
			hour time.Time
			n    int
		)
		if err := row.Scan(&hour, &n); err != nil {
			return err
		}
		if i := bucket(hour); i >= 0 && i < len(d.Hours) {
			d.Hours[i].Throttled += n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count throttled requests: %w", err)
	}
	d.AuditLag, d.AuditQueued = s.db.audit.lag(), len(s.db.audit.queue)
	return &d, nil
}
