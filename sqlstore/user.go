package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/clinicapi/healthcare"
)

const userColumns = `id, username, email, first_name, last_name, is_active, is_staff, date_joined, password_hash,
password_changed_at, credentials_version`

func scanUser(row scanner, extra ...any) (*healthcare.User, error) {
	var (
		u       healthcare.User
		changed sql.NullTime
	)
	dest := append([]any{&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.IsActive, &u.IsStaff, &u.DateJoined,
		&u.PasswordHash, &changed, &u.CredentialsVersion}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return nil, err
	}
	u.DateJoined = u.DateJoined.UTC()
	if changed.Valid {
		u.PasswordChangedAt = changed.Time.UTC()
	}
	return &u, nil
}

const findUserByIDSQL = `SELECT ` + userColumns + ` FROM users WHERE id = $1`

// findUserByID returns the user or nil.
func findUserByID(ctx context.Context, q handle, id int64) (*healthcare.User, error) {
	u, err := scanUser(q.queryRow(ctx, findUserByIDSQL, id))
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find user by id: %w", err)
	}
	return u, nil
}

// authUser is findUserByID for authenticating a token, through the
// account cache.
func (db *DB) authUser(ctx context.Context, id int64) (*healthcare.User, error) {
	db.listen()
	if u, ok := db.users.get(id); ok {
		return u, nil
	}
	gen, at := db.users.begin()
	u, err := findUserByID(ctx, db.pool(), id)
	if u != nil {
		db.users.put(gen, at, u)
	}
	return u, err
}

// A login name is a username or an email, folded; login_names holds each
// account's, so at most one account answers to it.
const findUserByLoginSQL = `SELECT ` + userColumns + ` FROM users
WHERE id = (SELECT user_id FROM login_names WHERE name_key = $1)`

func findUserByLogin(ctx context.Context, q handle, login string) (*healthcare.User, error) {
	u, err := scanUser(q.queryRow(ctx, findUserByLoginSQL, healthcare.Fold(login)))
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find user by login: %w", err)
	}
	return u, nil
}

const takenSQL = `SELECT name_key FROM login_names WHERE name_key = $1 OR name_key = $2`

// takenFields reports which of the username and email another account
// holds, as its username or its email. A field that already has a problem
// in invalid is not looked up.
func takenFields(ctx context.Context, q handle, r healthcare.Registration, invalid healthcare.FieldErrors) (healthcare.FieldErrors, error) {
	var username, email string // "" is no key: a name is never empty
	if len(invalid["username"]) == 0 {
		username = healthcare.Fold(r.Username)
	}
	if len(invalid["email"]) == 0 {
		email = healthcare.Fold(r.Email)
	}
	errs := healthcare.FieldErrors{}
	if username == "" && email == "" {
		return errs, nil
	}
	err := q.each(ctx, takenSQL, []any{username, email}, func(row scanner) error {
		var key string
		if err := row.Scan(&key); err != nil {
			return err
		}
		if key == username && username != "" {
			errs.Add("username", "A user with that username already exists.")
		}
		if key == email && email != "" {
			errs.Add("email", "A user with that email already exists.")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check taken user fields: %w", err)
	}
	return errs, nil
}

const insertUserSQL = `INSERT INTO users
(username, username_key, email, email_key, first_name, last_name, password_hash, is_active, is_staff, date_joined)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`

const insertLoginNameSQL = `INSERT INTO login_names (name_key, user_id) VALUES ($1, $2)`

// insertUser adds u and the names it logs in with. Of two registrations
// that take one name, as a username or an email, login_names' primary key
// lets one commit.
func insertUser(ctx context.Context, tx handle, u *healthcare.User) error {
	username, email := healthcare.Fold(u.Username), healthcare.Fold(u.Email)
	err := tx.queryRow(ctx, insertUserSQL, u.Username, username, u.Email, email,
		u.FirstName, u.LastName, u.PasswordHash, u.IsActive, u.IsStaff, u.DateJoined).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	for _, name := range slices.Compact([]string{username, email}) {
		if _, err := tx.exec(ctx, insertLoginNameSQL, name, u.ID); err != nil {
			return fmt.Errorf("insert login name: %w", err)
		}
	}
	return nil
}
