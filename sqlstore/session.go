package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/clinicapi/healthcare"
)

// SessionService implements healthcare.SessionService: the staff console's
// sessions, in the database so that every instance shares them.
type SessionService struct {
	db   *DB
	auth *AuthService
	// Idle ends a session unused this long; Lifetime ends any session this
	// old (at most maxSessionLifetime).
	Idle, Lifetime time.Duration
}

var _ healthcare.SessionService = (*SessionService)(nil)

// maxSessionLifetime bounds Lifetime, so that the sweep knows which
// sessions are surely over.
const maxSessionLifetime = 24 * time.Hour

// MaxSessionLifetime is the longest a console session may be configured to last.
const MaxSessionLifetime = maxSessionLifetime

// NewSessionService returns a SessionService that checks credentials as
// auth's logins do, under the same throttle, with HIPAA's usual automatic
// logoff: 15 minutes idle, 8 hours in all.
func NewSessionService(auth *AuthService) *SessionService {
	return &SessionService{db: auth.db, auth: auth, Idle: 15 * time.Minute, Lifetime: 8 * time.Hour}
}

const insertSessionSQL = `INSERT INTO console_sessions (id_hash, user_id, credentials_version, created_at, last_seen_at)
VALUES ($1, $2, $3, $4, $4)`

// SignIn starts a session for an active staff account.
func (s *SessionService) SignIn(ctx context.Context, login, password string) (string, error) {
	failed := newEvent(ctx, healthcare.ActionConsoleSignInFailed, "user", 0)
	staff := func(u *healthcare.User) bool { return u.IsActive && u.IsStaff }
	u, throttleKey, err := s.auth.checkCredentials(ctx, login, password, failed, staff)
	if healthcare.ErrorCode(err) == healthcare.ENOACTIVEACCOUNT {
		return "", healthcare.Errorf(healthcare.ENOACTIVEACCOUNT, healthcare.MsgConsoleSignIn)
	} else if err != nil {
		return "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read session id: %w", err)
	}
	id := hex.EncodeToString(b[:])
	ev := newEvent(ctx, healthcare.ActionConsoleSignIn, "user", u.ID)
	ev.ActorID = u.ID
	err = s.db.withTx(ctx, func(tx handle) error {
		if _, err := tx.exec(ctx, insertSessionSQL, tokenHash(id), u.ID, u.CredentialsVersion, s.db.now()); err != nil {
			return fmt.Errorf("insert console session: %w", err)
		}
		if _, err := tx.exec(ctx, resetSQL, throttleKey); err != nil {
			return fmt.Errorf("reset login count: %w", err)
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

const findSessionSQL = `SELECT user_id, credentials_version, created_at, last_seen_at FROM console_sessions WHERE id_hash = $1`

const touchSessionSQL = `UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2`

const deleteSessionSQL = `DELETE FROM console_sessions WHERE id_hash = $1`

// errSessionEnded is the answer for every session that cannot be used.
func errSessionEnded() error {
	return healthcare.Errorf(healthcare.ENOTAUTHENTICATED, "Your session has ended. Please sign in again.")
}

// Session returns the staff account of a live session and marks it used.
func (s *SessionService) Session(ctx context.Context, id string) (*healthcare.User, error) {
	if id == "" {
		return nil, errSessionEnded()
	}
	hash := tokenHash(id)
	var (
		userID, version   int64
		created, lastSeen time.Time
	)
	err := s.db.pool().queryRow(ctx, findSessionSQL, hash).Scan(&userID, &version, &created, &lastSeen)
	if isNoRows(err) {
		return nil, errSessionEnded()
	} else if err != nil {
		return nil, fmt.Errorf("find console session: %w", err)
	}
	u, err := findUserByID(ctx, s.db.pool(), userID)
	if err != nil {
		return nil, err
	}
	now := s.db.now()
	if now.Sub(lastSeen) > s.Idle || now.Sub(created) > min(s.Lifetime, maxSessionLifetime) ||
		u == nil || !u.IsActive || !u.IsStaff || u.CredentialsVersion != version {
		if _, err := s.db.pool().exec(ctx, deleteSessionSQL, hash); err != nil {
			return nil, fmt.Errorf("end console session: %w", err)
		}
		return nil, errSessionEnded()
	}
	if _, err := s.db.pool().exec(ctx, touchSessionSQL, now, hash); err != nil {
		s.db.noteWrite(err)
		return nil, fmt.Errorf("touch console session: %w", err)
	}
	return u, nil
}

// SignOut ends a session.
func (s *SessionService) SignOut(ctx context.Context, id string) error {
	ev := newEvent(ctx, healthcare.ActionConsoleSignOut, "user", healthcare.UserIDFromContext(ctx))
	return s.db.withTx(ctx, func(tx handle) error {
		if _, err := tx.exec(ctx, deleteSessionSQL, tokenHash(id)); err != nil {
			return fmt.Errorf("end console session: %w", err)
		}
		return s.db.audit.insertTx(ctx, tx, ev)
	})
}

const deleteOldSessionsSQL = `DELETE FROM console_sessions WHERE created_at < $1`

const deleteUserSessionsSQL = `DELETE FROM console_sessions WHERE user_id = $1`
