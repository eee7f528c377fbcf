package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/clinicapi/healthcare"
)

const userColumns = `id, username, email, first_name, last_name, is_active, is_staff, date_joined, password_hash,
password_changed_at`

func scanUser(row interface{ Scan(...any) error }) (*healthcare.User, error) {
	var (
		u       healthcare.User
		changed sql.NullTime
	)
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.IsActive, &u.IsStaff, &u.DateJoined,
		&u.PasswordHash, &changed)
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
func findUserByID(ctx context.Context, q rowQuerier, id int64) (*healthcare.User, error) {
	u, err := scanUser(q.queryRow(ctx, findUserByIDSQL, id))
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find user by id: %w", err)
	}
	return u, nil
}

// A login name may be one account's username and another's email; the
// username wins.
const findUserByLoginSQL = `SELECT ` + userColumns + ` FROM users
WHERE username_key = $1 OR email_key = $1
ORDER BY CASE WHEN username_key = $1 THEN 0 ELSE 1 END LIMIT 1`

func findUserByLogin(ctx context.Context, tx querier, login string) (*healthcare.User, error) {
	u, err := scanUser(tx.QueryRowContext(ctx, findUserByLoginSQL, healthcare.Key(login)))
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find user by login: %w", err)
	}
	return u, nil
}

const takenSQL = `SELECT username_key = $1, email_key = $2 FROM users WHERE username_key = $1 OR email_key = $2`

// takenFields reports which of the username and email another account holds.
func takenFields(ctx context.Context, q querier, r healthcare.Registration) (healthcare.FieldErrors, error) {
	rows, err := q.QueryContext(ctx, takenSQL, healthcare.Key(r.Username), healthcare.Key(r.Email))
	if err != nil {
		return nil, fmt.Errorf("check taken user fields: %w", err)
	}
	defer rows.Close()
	errs := healthcare.FieldErrors{}
	var userTaken, emailTaken bool
	for rows.Next() {
		var u, e bool
		if err := rows.Scan(&u, &e); err != nil {
			return nil, fmt.Errorf("scan taken user fields: %w", err)
		}
		userTaken = userTaken || u
		emailTaken = emailTaken || e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check taken user fields: %w", err)
	}
	if userTaken {
		errs.Add("username", "A user with that username already exists.")
	}
	if emailTaken {
		errs.Add("email", "A user with that email already exists.")
	}
	return errs, nil
}

const insertUserSQL = `INSERT INTO users
(username, username_key, email, email_key, first_name, last_name, password_hash, is_active, is_staff, date_joined)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`

func insertUser(ctx context.Context, tx *sql.Tx, u *healthcare.User) error {
	err := tx.QueryRowContext(ctx, insertUserSQL, u.Username, healthcare.Key(u.Username), u.Email, healthcare.Key(u.Email),
		u.FirstName, u.LastName, u.PasswordHash, u.IsActive, u.IsStaff, u.DateJoined).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}
