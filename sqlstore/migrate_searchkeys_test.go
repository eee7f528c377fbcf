package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// Migration 15 rebuilds the search keys of the rows whose names hold an
// information separator, which earlier keys kept as they were, and leaves
// every other row alone.
func TestSearchKeysMigration(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, raw := migratedTo(t, engine, 14)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := raw.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			old := func(values ...string) string { return healthcare.Fold(strings.Join(values, "\x1f")) }
			exec(`INSERT INTO users (id, username, username_key, email, email_key, password_hash, date_joined)
VALUES (1, 'ann', 'ann', 'ann@example.com', 'ann@example.com', 'x', '2026-01-01 00:00:00')`)
			const doctorSQL = `INSERT INTO doctors (id, first_name, last_name, email, email_key, specialization,
specialization_key, search_key, created_at, updated_at) VALUES ($1, 'Greg', $2, $3, $3, $4, $4, $5, '2026-01-01 00:00:00', '2026-01-01 00:00:00')`
			exec(doctorSQL, 1, "House", "house@clinic.com", "Diag\x1fnostics", old("Greg", "House", "house@clinic.com", "Diag\x1fnostics"))
			exec(doctorSQL, 2, "Wil\x1cson", "wilson@clinic.com", "Oncology", old("Greg", "Wil\x1cson", "wilson@clinic.com", "Oncology"))
			exec(doctorSQL, 3, "Plain", "plain@clinic.com", "Cardiology", "left alone")
			const patientSQL = `INSERT INTO patients (id, owner_id, first_name, last_name, email, email_key, dob, search_key,
created_at, updated_at) VALUES ($1, 1, 'Jon', $2, $3, $3, '1990-01-01', $4, '2026-01-01 00:00:00', '2026-01-01 00:00:00')`
			exec(patientSQL, 1, "Do\x1ee", "jon@example.com", old("Jon", "Do\x1ee", "jon@example.com"))
			exec(patientSQL, 2, "Roe", "roe@example.com", "left alone")

			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				table string
				id    int64
				want  string
			}{
				{"doctors", 1, healthcare.SearchKey("Greg", "House", "house@clinic.com", "Diag\x1fnostics")},
				{"doctors", 2, healthcare.SearchKey("Greg", "Wil\x1cson", "wilson@clinic.com", "Oncology")},
				{"doctors", 3, "left alone"},
				{"patients", 1, healthcare.SearchKey("Jon", "Do\x1ee", "jon@example.com")},
				{"patients", 2, "left alone"},
			} {
				var got string
				if err := raw.QueryRowContext(ctx, "SELECT search_key FROM "+c.table+" WHERE id = $1", c.id).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("%s %d: search key %q, want %q", c.table, c.id, got, c.want)
				}
			}
		})
	}
}
