package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/clinicapi/healthcare"
)

// foldKeysVersion is the migration that recomputes every key column with
// healthcare.Fold (NFKC, full case folding, NFKC) in place of lower-casing,
// and fills login_names. It is Go rather than SQL because neither engine
// folds as Unicode recommends. Rows that one key would make equal are
// reported by id, and nothing changes until they are told apart.
const foldKeysVersion = 7

// Folded keys still serve the code before it: it has nothing to undo.
func foldKeysMigration() *goose.Migration { return upOnly(foldKeysVersion, foldKeys) }

// upOnly is a Go migration whose Down changes nothing.
func upOnly(version int64, up func(context.Context, *sql.Tx) error) *goose.Migration {
	return goose.NewGoMigration(version, &goose.GoFunc{RunTx: up},
		&goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }})
}

// keyChange is a row whose key columns change.
type keyChange struct {
	id   int64
	keys []any // the new values of the table's key columns, in order
}

// collisions lists rows that one folded key makes equal.
type collisions []string

func (c *collisions) add(format string, args ...any) { *c = append(*c, fmt.Sprintf(format, args...)) }

func foldKeys(ctx context.Context, tx *sql.Tx) error {
	var found collisions
	users, names, err := foldUserKeys(ctx, tx, &found)
	if err != nil {
		return err
	}
	patients, err := foldPatientKeys(ctx, tx, &found)
	if err != nil {
		return err
	}
	doctors, err := foldDoctorKeys(ctx, tx, &found)
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return fmt.Errorf("%d pair(s) of rows would become one under Unicode case folding (NFKC, case folding), "+
			"which the keys now use; change one of each pair (its username or email), then migrate again:\n  %s",
			len(found), strings.Join(found, "\n  "))
	}
	for _, t := range []struct {
		table   string
		columns []string
		unique  []string // columns with a unique index, moved aside first
		changes []keyChange
	}{
		{"users", []string{"username_key", "email_key"}, []string{"username_key", "email_key"}, users},
		{"patients", []string{"email_key", "search_key"}, []string{"email_key"}, patients},
		{"doctors", []string{"email_key", "specialization_key", "search_key"}, []string{"email_key"}, doctors},
	} {
		if err := updateKeys(ctx, tx, t.table, t.columns, t.unique, t.changes); err != nil {
			return err
		}
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_names (name_key, user_id) VALUES ($1, $2)`, n.key, n.user); err != nil {
			return fmt.Errorf("fill login_names: %w", err)
		}
	}
	return nil
}

type loginName struct {
	key  string
	user int64
}

// foldUserKeys folds usernames and emails into one namespace: no key may
// belong to two accounts, whether as a username or an email.
func foldUserKeys(ctx context.Context, tx *sql.Tx, found *collisions) ([]keyChange, []loginName, error) {
	var (
		changes []keyChange
		names   []loginName
		owner   = map[string]int64{}
	)
	err := eachKeyRow(ctx, tx, `SELECT id, username, email, username_key, email_key FROM users ORDER BY id`, 5,
		func(id int64, v []string) {
			username, email := healthcare.Fold(v[0]), healthcare.Fold(v[1])
			for _, k := range []string{username, email} {
				if other, ok := owner[k]; ok && other != id {
					found.add("users %d and %d: one name for both (a username or an email), folded", other, id)
					continue
				}
				if _, ok := owner[k]; !ok {
					owner[k] = id
					names = append(names, loginName{k, id})
				}
			}
			if username != v[2] || email != v[3] {
				changes = append(changes, keyChange{id, []any{username, email}})
			}
		})
	return changes, names, err
}

// foldPatientKeys folds patients' emails, unique per owner, and search keys.
func foldPatientKeys(ctx context.Context, tx *sql.Tx, found *collisions) ([]keyChange, error) {
	var (
		changes []keyChange
		owner   int64
		seen    = map[string]int64{}
	)
	err := eachKeyRow(ctx, tx, `SELECT id, owner_id, first_name, last_name, email, email_key, search_key
FROM patients ORDER BY owner_id, id`, 7, func(id int64, v []string) {
		if o, _ := strconv.ParseInt(v[0], 10, 64); o != owner {
			owner, seen = o, map[string]int64{} // rows come by owner: one owner's emails at a time
		}
		p := healthcare.Patient{FirstName: v[1], LastName: v[2], Email: v[3]}
		email, search := healthcare.Fold(p.Email), patientSearchKey(&p)
		if other, ok := seen[email]; ok {
			found.add("patients %d and %d of owner %d: their emails, folded", other, id, owner)
		}
		seen[email] = id
		if email != v[4] || search != v[5] {
			changes = append(changes, keyChange{id, []any{email, search}})
		}
	})
	return changes, err
}

// foldDoctorKeys folds doctors' emails, unique, and their other keys.
func foldDoctorKeys(ctx context.Context, tx *sql.Tx, found *collisions) ([]keyChange, error) {
	var (
		changes []keyChange
		seen    = map[string]int64{}
	)
	err := eachKeyRow(ctx, tx, `SELECT id, first_name, last_name, email, specialization, email_key, specialization_key,
search_key FROM doctors ORDER BY id`, 8, func(id int64, v []string) {
		d := healthcare.Doctor{FirstName: v[0], LastName: v[1], Email: v[2], Specialization: v[3]}
		email, spec, search := healthcare.Fold(d.Email), healthcare.Fold(d.Specialization), doctorSearchKey(&d)
		if other, ok := seen[email]; ok {
			found.add("doctors %d and %d: their emails, folded", other, id)
		}
		seen[email] = id
		if email != v[4] || spec != v[5] || search != v[6] {
			changes = append(changes, keyChange{id, []any{email, spec, search}})
		}
	})
	return changes, err
}

// eachKeyRow runs query, whose first column is the id and the other n-1
// are text, and calls fn with each row's id and texts.
func eachKeyRow(ctx context.Context, tx *sql.Tx, query string, n int, fn func(id int64, v []string)) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	defer rows.Close()
	var id int64
	v := make([]string, n-1)
	dest := []any{&id}
	for i := range v {
		dest = append(dest, &v[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read keys: %w", err)
		}
		fn(id, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	return nil
}

// updateKeys writes the changed keys. A unique key is first moved aside to
// a value no key can take (it holds the row's id after a unit separator), so
// that a row taking the old key of another never trips the index midway.
func updateKeys(ctx context.Context, tx *sql.Tx, table string, columns, unique []string, changes []keyChange) error {
	if len(changes) == 0 {
		return nil
	}
	var aside []string
	for _, c := range unique {
		aside = append(aside, c+" = '\x1f' || CAST(id AS TEXT)")
	}
	// #nosec G202 -- table and column names come from foldKeys' own list, never from input.
	moveAside := `UPDATE ` + table + ` SET ` + strings.Join(aside, ", ") + ` WHERE id = $1`
	var set []string
	for i, c := range columns {
		set = append(set, c+" = $"+strconv.Itoa(i+1))
	}
	update := `UPDATE ` + table + ` SET ` + strings.Join(set, ", ") + ` WHERE id = $` + strconv.Itoa(len(columns)+1) // #nosec G202 -- as above
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, moveAside, c.id); err != nil {
			return fmt.Errorf("fold %s keys: %w", table, err)
		}
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, update, append(c.keys, c.id)...); err != nil {
			return fmt.Errorf("fold %s keys: %w", table, err)
		}
	}
	return nil
}
