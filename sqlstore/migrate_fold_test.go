package sqlstore_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// The migration to folded keys reports rows that folding makes one, by id
// and without their values, changes nothing while any remain, and folds
// every key once they are told apart.
func TestFoldKeysMigration(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, raw := migratedTo(t, engine, 6)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := raw.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// Keys as lower-casing made them: distinct, but not under folding.
			for _, u := range [][3]any{{1, "straße", "a@example.com"}, {2, "STRASSE", "b@example.com"},
				{3, "ǅemal", "c@example.com"}, {4, "d@example.com", "d2@example.com"}, {5, "e", "D@EXAMPLE.com"}} {
				exec(`INSERT INTO users (id, username, username_key, email, email_key, password_hash, date_joined)
VALUES ($1, $2, $3, $4, $5, 'x', '2026-01-01 00:00:00')`, u[0], u[1], strings.ToLower(u[1].(string))+"~", u[2], strings.ToLower(u[2].(string))+"~")
			}
			exec(`INSERT INTO patients (id, owner_id, first_name, last_name, email, email_key, dob, search_key, created_at, updated_at)
VALUES (1, 3, 'ΣΊΣΥΦΟΣ', 'Doe', 'p@example.com', 'p@example.com', '1990-01-01', 'old', '2026-01-01 00:00:00', '2026-01-01 00:00:00')`)

			_, err := db.Migrate(ctx)
			if err == nil {
				t.Fatal("Migrate() with colliding names succeeded")
			}
			for _, want := range []string{"users 1 and 2", "users 4 and 5"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Migrate() error does not name %s: %v", want, err)
				}
			}
			for _, secret := range []string{"straße", "STRASSE", "d@example.com"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Migrate() error quotes %q: %v", secret, err)
				}
			}
			var n int
			if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE username_key LIKE '%~'`).Scan(&n); err != nil || n != 5 {
				t.Errorf("after the refused migration, %d users keep their old keys (%v), want all 5", n, err)
			}

			exec(`UPDATE users SET username = 'strasse2' WHERE id = 2`)
			exec(`UPDATE users SET email = 'e@example.com' WHERE id = 5`)
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate() once the names are apart: %v", err)
			}
			var key, search string
			if err := raw.QueryRowContext(ctx, `SELECT username_key FROM users WHERE id = 3`).Scan(&key); err != nil || key != healthcare.Fold("ǅemal") {
				t.Errorf("user 3's key = %q (%v), want %q", key, err, healthcare.Fold("ǅemal"))
			}
			if err := raw.QueryRowContext(ctx, `SELECT search_key FROM patients WHERE id = 1`).Scan(&search); err != nil ||
				search != healthcare.SearchKey("ΣΊΣΥΦΟΣ", "Doe", "p@example.com") {
				t.Errorf("patient 1's search key = %q (%v)", search, err)
			}
			if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM login_names`).Scan(&n); err != nil || n != 10 {
				t.Errorf("login_names holds %d names (%v), want 10", n, err)
			}
		})
	}
}

// migratedTo opens an empty database of engine migrated up to version, and
// a connection of its own to it, for a test of the migration after it.
func migratedTo(t *testing.T, engine string, version int64) (*sqlstore.DB, *sql.DB) {
	t.Helper()
	url := sqlstoretest.SQLiteURL(t)
	if engine == "postgres" {
		url = sqlstoretest.EmptyPostgresURL(t)
	}
	db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.MigrateTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return db, sqlstoretest.Raw(t, url)
}
