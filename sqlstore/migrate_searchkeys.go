package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/clinicapi/healthcare"
)

// searchKeysVersion is the migration that rebuilds the search keys of the
// rows whose names hold an information separator (U+001C–U+001F): before
// it, such a character stood in the key as it was, where queries take
// U+001F for the end of a field, so that a doctor's specialization holding
// one let a search of names match the doctor's email. Go, because the keys
// are healthcare.SearchKey's.
const searchKeysVersion = 15

// The rebuilt keys serve the code before it too: it has nothing to undo.
func searchKeysMigration() *goose.Migration { return upOnly(searchKeysVersion, rebuildSearchKeys) }

// separatorsIn is a condition that holds for a row some of whose columns
// hold a separator, the four patterns being $1 to $4 (separatorPatterns).
func separatorsIn(columns ...string) string {
	cond := "0 = 1"
	for _, c := range columns {
		for i := 1; i <= 4; i++ {
			cond += fmt.Sprintf(" OR %s LIKE $%d", c, i)
		}
	}
	return cond
}

var separatorPatterns = []any{"%\x1c%", "%\x1d%", "%\x1e%", "%\x1f%"}

func rebuildSearchKeys(ctx context.Context, tx *sql.Tx) error {
	for _, t := range []struct {
		table   string
		columns []string // the key's values, in its order
		key     func(v []string) string
	}{
		{"patients", []string{"first_name", "last_name", "email"}, func(v []string) string {
			return patientSearchKey(&healthcare.Patient{FirstName: v[0], LastName: v[1], Email: v[2]})
		}},
		{"doctors", []string{"first_name", "last_name", "email", "specialization"}, func(v []string) string {
			return doctorSearchKey(&healthcare.Doctor{FirstName: v[0], LastName: v[1], Email: v[2], Specialization: v[3]})
		}},
	} {
		keys, err := searchKeysToRebuild(ctx, tx, t.table, t.columns, t.key)
		if err != nil {
			return fmt.Errorf("rebuild search keys: %s: %w", t.table, err)
		}
		for id, key := range keys {
			// #nosec G202 -- the table's name comes from the list above, never from input.
			if _, err := tx.ExecContext(ctx, "UPDATE "+t.table+" SET search_key = $1 WHERE id = $2", key, id); err != nil {
				return fmt.Errorf("rebuild search keys: update %s %d: %w", t.table, id, err)
			}
		}
	}
	return nil
}

// searchKeysToRebuild reads the rows of table whose columns hold a
// separator, and returns their new search keys by id.
func searchKeysToRebuild(ctx context.Context, tx *sql.Tx, table string, columns []string,
	key func(v []string) string) (map[int64]string, error) {
	// #nosec G202 -- table and column names come from rebuildSearchKeys' own list, never from input.
	rows, err := tx.QueryContext(ctx, "SELECT id, "+strings.Join(columns, ", ")+" FROM "+table+" WHERE "+
		separatorsIn(columns...), separatorPatterns...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	keys := map[int64]string{}
	for rows.Next() {
		var id int64
		v := make([]string, len(columns))
		dest := []any{&id}
		for i := range v {
			dest = append(dest, &v[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		keys[id] = key(v)
	}
	return keys, rows.Err()
}
