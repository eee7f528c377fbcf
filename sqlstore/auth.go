package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/clinicapi/healthcare"
)

// AuthService implements healthcare.AuthService.
type AuthService struct {
	db     *DB
	hasher healthcare.PasswordHasher
	policy healthcare.PasswordPolicy
	tokens healthcare.TokenIssuer
	// LoginLimit bounds the login attempts per login name that do not
	// succeed; a success starts the count again. Zero means no limit.
	LoginLimit healthcare.Limit
}

var _ healthcare.AuthService = (*AuthService)(nil)

// NewAuthService returns an AuthService on db.
func NewAuthService(db *DB, hasher healthcare.PasswordHasher, policy healthcare.PasswordPolicy, tokens healthcare.TokenIssuer) *AuthService {
	return &AuthService{db: db, hasher: hasher, policy: policy, tokens: tokens}
}

func errNoActiveAccount() error {
	return healthcare.Errorf(healthcare.ENOACTIVEACCOUNT, healthcare.MsgNoActiveAccount)
}

func errTokenInvalid() error {
	return healthcare.Errorf(healthcare.ETOKENINVALID, healthcare.MsgTokenInvalid)
}

// Register creates an active, non-staff account.
func (s *AuthService) Register(ctx context.Context, r healthcare.Registration) (*healthcare.User, error) {
	return s.createUser(ctx, r, false)
}

// CreateSuperuser creates an active staff account, for the command line.
func (s *AuthService) CreateSuperuser(ctx context.Context, r healthcare.Registration) (*healthcare.User, error) {
	return s.createUser(ctx, r, true)
}

func (s *AuthService) createUser(ctx context.Context, r healthcare.Registration, staff bool) (*healthcare.User, error) {
	ev := newEvent(ctx, healthcare.ActionRegister, "user", 0)
	u, err := s.insertUser(ctx, r, staff, ev)
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	return u, nil
}

func (s *AuthService) insertUser(ctx context.Context, r healthcare.Registration, staff bool, ev *healthcare.AuditEvent) (*healthcare.User, error) {
	// As DRF's serializer: the fields first, each with its uniqueness; the
	// password policy (its validate()) only once every field is valid.
	errs := r.Validate()
	taken, err := takenFields(ctx, s.db.pool(), r, errs)
	if err != nil {
		return nil, err
	}
	errs.Merge(taken)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	for _, msg := range s.policy.Check(r.Password, r) {
		errs.Add("password", msg)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	// Hash before the transaction: it takes tens of milliseconds, and SQLite
	// holds its write lock for the whole transaction.
	hash, err := s.hasher.Hash(r.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u := &healthcare.User{
		Username: r.Username, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		IsActive: true, IsStaff: staff, DateJoined: s.db.now(), PasswordHash: hash,
	}
	err = s.db.withTx(ctx, func(tx handle) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		ev.ActorID, ev.ObjectID = u.ID, u.ID
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if classify(err) == uniqueViolation {
		// A concurrent registration took the name between check and insert;
		// the constraint caught it, now say which field.
		if taken, terr := takenFields(ctx, s.db.pool(), r, nil); terr == nil && len(taken) > 0 {
			return nil, taken.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Login issues a token pair for an active account's credentials.
func (s *AuthService) Login(ctx context.Context, login, password string) (*healthcare.TokenPair, error) {
	failed := newEvent(ctx, healthcare.ActionLoginFailed, "user", 0)
	u, throttleKey, err := s.checkCredentials(ctx, login, password, failed, func(u *healthcare.User) bool { return u.IsActive })
	if err != nil {
		return nil, err
	}
	// An imported Django hash (or one of older costs) is replaced at the
	// first login that proves the password, as Django's own upgrade does,
	// in the login's transaction.
	var rehash string
	if s.hasher.NeedsRehash(u.PasswordHash) {
		if rehash, err = s.hasher.Hash(password); err != nil {
			return nil, fmt.Errorf("rehash password of user %d: %w", u.ID, err)
		}
	}
	ev := newEvent(ctx, healthcare.ActionLogin, "user", u.ID)
	ev.ActorID = u.ID
	var pair *healthcare.TokenPair
	err = s.db.withTx(ctx, func(tx handle) error {
		family, err := newFamily()
		if err != nil {
			return err
		}
		if pair, err = s.issuePair(ctx, tx, u, family); err != nil {
			return err
		}
		if rehash != "" {
			if _, err := tx.exec(ctx, rehashSQL, rehash, u.ID, u.PasswordHash); err != nil {
				return fmt.Errorf("rehash password: %w", err)
			}
		}
		if _, err := tx.exec(ctx, resetSQL, throttleKey); err != nil {
			return fmt.Errorf("reset login count: %w", err)
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	return pair, err
}

// checkCredentials finds the account a login name names and checks its
// password and eligible(account), counting the attempt against the login
// throttle first. A refusal is recorded as failed and answered with
// ENOACTIVEACCOUNT, whatever its cause. It returns the account and its
// throttle key, which a success must reset.
func (s *AuthService) checkCredentials(ctx context.Context, login, password string, failed *healthcare.AuditEvent,
	eligible func(*healthcare.User) bool) (*healthcare.User, string, error) {
	// A login has no actor until it succeeds, whatever else the request
	// carried: an actor would see in its own audit trail which names are
	// accounts, which the answer hides.
	failed.ActorID = 0
	var (
		u   *healthcare.User
		err error
	)
	if len(login) > healthcare.MaxLoginNameBytes {
		// No account's; folding it would only cost, so it counts as itself.
		failed.SubjectHash = s.db.subjectHash(login[:healthcare.MaxLoginNameBytes] + "…")
	} else {
		failed.SubjectHash = s.db.subjectHash(login)
		if u, err = findUserByLogin(ctx, s.db.pool(), login); err != nil {
			return nil, "", err
		}
	}
	// Every attempt counts before the password is looked at, so a burst of
	// concurrent guesses cannot all pass a check made before any counted.
	throttleKey := loginThrottleKey(u, failed.SubjectHash)
	if err := (&Throttle{db: s.db}).Hit(ctx, throttleKey, s.LoginLimit); err != nil {
		return nil, "", s.db.audit.recordFailure(ctx, failed, err)
	}
	if utf8.RuneCountInString(password) > healthcare.MaxPasswordLength {
		return nil, "", s.db.audit.recordFailure(ctx, failed, errNoActiveAccount())
	}
	if u == nil {
		if err := s.hasher.VerifyDummy(password); healthcare.ErrorCode(err) == healthcare.EUNAVAILABLE {
			return nil, "", err
		}
		return nil, "", s.db.audit.recordFailure(ctx, failed, errNoActiveAccount())
	}
	ok, err := s.hasher.Verify(u.PasswordHash, password)
	if healthcare.ErrorCode(err) == healthcare.EUNAVAILABLE {
		return nil, "", err
	} else if err != nil {
		return nil, "", fmt.Errorf("verify password of user %d: %w", u.ID, err)
	}
	if !ok || !eligible(u) {
		// The account's owner sees attempts on it in their audit trail.
		failed.ObjectID, failed.OwnerID = u.ID, u.ID
		return nil, "", s.db.audit.recordFailure(ctx, failed, errNoActiveAccount())
	}
	return u, throttleKey, nil
}

// #nosec G101 -- SQL naming a column, not a credential.
const rehashSQL = `UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`

// loginThrottleKey is the counter of failed attempts a login counts
// against: the account's, whichever of its names was typed, or for a name
// of no account the name's own (subject is its keyed hash, folded), so
// that unknown names count too.
func loginThrottleKey(u *healthcare.User, subject string) string {
	if u != nil {
		return "login:user:" + strconv.FormatInt(u.ID, 10)
	}
	return "login:name:" + subject
}

// issuePair signs an access and a refresh token for u and records the
// refresh one.
func (s *AuthService) issuePair(ctx context.Context, tx handle, u *healthcare.User, family string) (*healthcare.TokenPair, error) {
	now := s.db.now()
	access, _, err := s.tokens.Issue(healthcare.AccessToken, u.ID, u.CredentialsVersion, now)
	if err != nil {
		return nil, err
	}
	refresh, claims, err := s.tokens.Issue(healthcare.RefreshToken, u.ID, u.CredentialsVersion, now)
	if err != nil {
		return nil, err
	}
	if err := insertRefreshToken(ctx, tx, refresh, family, claims, now); err != nil {
		return nil, err
	}
	return &healthcare.TokenPair{Access: access, Refresh: refresh}, nil
}

func newFamily() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read token family: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Refresh rotates a refresh token: the presented one is revoked and a new
// pair in the same family is issued. A token presented after it was
// revoked means it leaked, so its whole family is revoked.
func (s *AuthService) Refresh(ctx context.Context, refresh string) (*healthcare.TokenPair, error) {
	ev := newEvent(ctx, healthcare.ActionRefresh, "token", 0)
	claims, err := s.tokens.Verify(refresh, healthcare.RefreshToken, s.db.now())
	if err != nil {
		return nil, s.db.audit.recordFailure(ctx, ev, err)
	}
	ev.ActorID, ev.ObjectType, ev.ObjectID = claims.UserID, "user", claims.UserID
	// The transaction commits what it revoked even when it issues nothing,
	// so why it issued nothing is told apart from a failure of its own.
	var (
		pair    *healthcare.TokenPair
		refused error
	)
	err = s.db.withTx(ctx, func(tx handle) error {
		now := s.db.now()
		family, err := revokeRefreshToken(ctx, tx, refresh, now)
		if err != nil {
			return err
		}
		if family == "" {
			stolen, err := findRefreshFamily(ctx, tx, refresh)
			switch {
			case err != nil:
				return err
			case stolen != "": // presented again after it was rotated: it leaked
				refused = errRefreshReused
				if err := revokeFamily(ctx, tx, stolen, now); err != nil {
					return err
				}
				reuse := newEvent(ctx, healthcare.ActionTokenReuse, "user", claims.UserID)
				reuse.ActorID, reuse.OwnerID, reuse.Outcome = claims.UserID, claims.UserID, healthcare.OutcomeDenied
				return s.db.audit.insertTx(ctx, tx, reuse)
			case !claims.Foreign:
				refused = errTokenInvalid() // never issued here
				return nil
			}
			// Issued by the Django design before the switch, with the same
			// key: taken once into a family of ours and recorded as used,
			// so that presenting it again is reuse.
			if family, err = takeForeignRefreshToken(ctx, tx, refresh, claims, now); err != nil {
				return err
			} else if family == "" {
				refused = errTokenInvalid() // a concurrent refresh took it
				return nil
			}
		}
		u, err := findUserByID(ctx, tx, claims.UserID)
		if err != nil {
			return err
		} else if u == nil || !u.IsActive || claims.Version != u.CredentialsVersion {
			refused = errTokenInvalid()
			return nil
		}
		if pair, err = s.issuePair(ctx, tx, u, family); err != nil {
			return err
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	switch {
	case err != nil:
		return nil, err
	case refused == errRefreshReused:
		return nil, errTokenInvalid() // its event, auth.token_reuse, is written
	case refused != nil:
		return nil, s.db.audit.recordFailure(ctx, ev, refused)
	}
	return pair, nil
}

// errRefreshReused is a refresh token presented after it was rotated: its
// family is revoked.
var errRefreshReused = errors.New("refresh token reused")

// Logout revokes the family of a refresh token.
func (s *AuthService) Logout(ctx context.Context, refresh string) error {
	ev := newEvent(ctx, healthcare.ActionLogout, "token", 0)
	claims, err := s.tokens.Verify(refresh, healthcare.RefreshToken, s.db.now())
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	ev.ActorID, ev.ObjectType, ev.ObjectID = claims.UserID, "user", claims.UserID
	err = s.db.withTx(ctx, func(tx handle) error {
		now := s.db.now()
		family, err := revokeRefreshToken(ctx, tx, refresh, now)
		if err != nil {
			return err
		}
		if family == "" && claims.Foreign {
			// Issued by the Django design and never used here: recorded as
			// used, so that it refreshes nothing from now on.
			if family, err = takeForeignRefreshToken(ctx, tx, refresh, claims, now); err != nil {
				return err
			}
		}
		if family == "" {
			// Unknown, or revoked already: the second logout with one token
			// is refused as simplejwt refuses a blacklisted token.
			return errTokenInvalid()
		}
		if err := revokeFamily(ctx, tx, family, now); err != nil {
			return err
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}

// Authenticate returns the active user an access token belongs to.
func (s *AuthService) Authenticate(ctx context.Context, access string) (*healthcare.User, error) {
	claims, err := s.tokens.Verify(access, healthcare.AccessToken, s.db.now())
	if err != nil {
		return nil, err
	}
	u, err := s.db.authUser(ctx, claims.UserID)
	if err != nil {
		return nil, err
	}
	// simplejwt's answers: the token holder may know that much.
	if u == nil {
		return nil, healthcare.Errorf(healthcare.EUSERNOTFOUND, "User not found")
	} else if !u.IsActive {
		return nil, healthcare.Errorf(healthcare.EUSERINACTIVE, "User is inactive")
	}
	// Issued before the last password change, even in its very second.
	if claims.Version != u.CredentialsVersion {
		return nil, errTokenInvalid()
	}
	return u, nil
}

// MsgWrongOldPassword is Django's message for a wrong old password.
const MsgWrongOldPassword = "Your old password was entered incorrectly. Please enter it again."

// #nosec G101 -- SQL naming a column, not a credential.
const changePasswordSQL = `UPDATE users SET password_hash = $1, password_changed_at = $2,
credentials_version = credentials_version + 1 WHERE id = $3`

const revokeUserTokensSQL = `UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`

// ChangePassword sets the caller's password after checking the old one,
// and revokes every refresh token the caller holds, on every device.
func (s *AuthService) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	ev := newEvent(ctx, healthcare.ActionPasswordChange, "user", healthcare.UserIDFromContext(ctx))
	ev.OwnerID = ev.ActorID
	if err := s.changePassword(ctx, oldPassword, newPassword, ev); err != nil {
		return s.db.audit.recordFailure(ctx, ev, err)
	}
	return nil
}

func (s *AuthService) changePassword(ctx context.Context, oldPassword, newPassword string, ev *healthcare.AuditEvent) error {
	caller := healthcare.UserFromContext(ctx)
	if caller == nil {
		return healthcare.NotAuthenticated()
	}
	// Guessing the old password here counts as failed logins of the account.
	throttleKey := loginThrottleKey(caller, "")
	if err := (&Throttle{db: s.db}).Hit(ctx, throttleKey, s.LoginLimit); err != nil {
		return err
	}
	u, err := findUserByID(ctx, s.db.pool(), caller.ID)
	if err != nil {
		return err
	} else if u == nil {
		return errTokenInvalid()
	}
	if utf8.RuneCountInString(oldPassword) > healthcare.MaxPasswordLength {
		return healthcare.FieldError("old_password", MsgWrongOldPassword)
	}
	ok, err := s.hasher.Verify(u.PasswordHash, oldPassword)
	if healthcare.ErrorCode(err) == healthcare.EUNAVAILABLE {
		return err
	} else if err != nil {
		return fmt.Errorf("verify password of user %d: %w", u.ID, err)
	}
	if !ok {
		return healthcare.FieldError("old_password", MsgWrongOldPassword)
	}
	errs := healthcare.FieldErrors{}
	for _, msg := range s.policy.Check(newPassword, healthcare.Registration{
		Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}) {
		errs.Add("new_password", msg)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(newPassword)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	err = s.db.withTx(ctx, func(tx handle) error {
		now := s.db.now()
		if _, err := tx.exec(ctx, changePasswordSQL, hash, now, u.ID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if _, err := tx.exec(ctx, revokeUserTokensSQL, now, u.ID); err != nil {
			return fmt.Errorf("revoke tokens: %w", err)
		}
		if _, err := tx.exec(ctx, resetSQL, throttleKey); err != nil {
			return fmt.Errorf("reset password attempts: %w", err)
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	// This instance forgets the account at once; the others when the
	// database's report reaches them.
	s.db.users.invalidate(u.ID)
	return err
}
