package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestIsUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		err                  error
		unavailable, storage bool
	}{
		{"nil", nil, false, false},
		{"a bug", errors.New("scan: wrong type"), false, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false, false},
		{"undefined table", &pgconn.PgError{Code: "42P01"}, false, false},
		{"admin shutdown", fmt.Errorf("find patient: %w", &pgconn.PgError{Code: "57P01"}), true, false},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true, false},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true, false},
		{"out of memory", &pgconn.PgError{Code: "53200"}, true, false},
		{"disk full", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "53100"}), true, true},
		{"I/O error", &pgconn.PgError{Code: "58030"}, true, true},
		{"read-only transaction", fmt.Errorf("insert patient: %w", &pgconn.PgError{Code: "25006"}), true, true},
		{"connection exception class", &pgconn.PgError{Code: "08006"}, true, false},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true, false},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true, false},
		{"bad conn", fmt.Errorf("query: %w", driver.ErrBadConn), true, false},
		{"closed by the driver", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true, false},
	} {
		if got := sqlstore.IsUnavailable(tt.err); got != tt.unavailable {
			t.Errorf("IsUnavailable(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.unavailable)
		}
		if got := sqlstore.IsStorageFailure(tt.err); got != tt.storage {
			t.Errorf("isStorageFailure(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.storage)
		}
	}
}

// TestSQLiteCodes: every extended code of a storage failure counts, by its
// primary code.
func TestSQLiteCodes(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		code                 int
		unavailable, storage bool
	}{
		{"SQLITE_ERROR", sqlite3.SQLITE_ERROR, false, false},
		{"SQLITE_CONSTRAINT_UNIQUE", sqlite3.SQLITE_CONSTRAINT_UNIQUE, false, false},
		{"SQLITE_CORRUPT", sqlite3.SQLITE_CORRUPT, false, false},
		{"SQLITE_BUSY", sqlite3.SQLITE_BUSY, true, false},
		{"SQLITE_BUSY_SNAPSHOT", sqlite3.SQLITE_BUSY_SNAPSHOT, true, false},
		{"SQLITE_LOCKED", sqlite3.SQLITE_LOCKED, true, false},
		{"SQLITE_FULL", sqlite3.SQLITE_FULL, true, true},
		{"SQLITE_READONLY", sqlite3.SQLITE_READONLY, true, true},
		{"SQLITE_READONLY_DBMOVED", sqlite3.SQLITE_READONLY_DBMOVED, true, true},
		{"SQLITE_READONLY_DIRECTORY", sqlite3.SQLITE_READONLY_DIRECTORY, true, true},
		{"SQLITE_READONLY_CANTINIT", sqlite3.SQLITE_READONLY_CANTINIT, true, true},
		{"SQLITE_IOERR", sqlite3.SQLITE_IOERR, true, true},
		{"SQLITE_IOERR_WRITE", sqlite3.SQLITE_IOERR_WRITE, true, true},
		{"SQLITE_IOERR_FSYNC", sqlite3.SQLITE_IOERR_FSYNC, true, true},
		{"SQLITE_IOERR_SHMSIZE", sqlite3.SQLITE_IOERR_SHMSIZE, true, true},
		{"SQLITE_CANTOPEN", sqlite3.SQLITE_CANTOPEN, true, true},
		{"SQLITE_CANTOPEN_NOTEMPDIR", sqlite3.SQLITE_CANTOPEN_NOTEMPDIR, true, true},
	} {
		if got := sqlstore.SQLiteUnavailable(tt.code); got != tt.unavailable {
			t.Errorf("sqliteUnavailable(%s) = %v, want %v", tt.name, got, tt.unavailable)
		}
		if got := sqlstore.SQLiteStorageFailure(tt.code); got != tt.storage {
			t.Errorf("sqliteStorageFailure(%s) = %v, want %v", tt.name, got, tt.storage)
		}
	}
}

// TestIsUnavailableSQLiteErrors: the errors the driver really returns for a
// read-only database, a full one and one that cannot be opened.
func TestIsUnavailableSQLiteErrors(t *testing.T) {
	url := sqlstoretest.SQLiteURL(t)
	sqlstoretest.Open(t, url) // migrate
	ctx := context.Background()
	conn, err := sqlstoretest.Raw(t, url).Conn(ctx) // pragmas hold per connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) error {
		_, err := conn.ExecContext(ctx, q)
		return err
	}
	const insert = `INSERT INTO doctors (first_name, last_name, email, email_key, specialization, specialization_key,
search_key, created_at, updated_at) VALUES ('D', 'R', 'd@r.com', 'd@r.com', 'GP', 'gp', 'd r', '2026-01-01', '2026-01-01')`
	if err := exec(insert); err != nil {
		t.Fatal(err)
	}
	dup := exec(insert)
	var pages int
	if err := conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA query_only = 1", "PRAGMA query_only = 0", fmt.Sprintf("PRAGMA max_page_count = %d", pages)} {
		if err := exec(q); err != nil {
			t.Fatal(err)
		}
	}
	full := exec("CREATE TABLE filler (b BLOB); INSERT INTO filler VALUES (randomblob(100000))")
	if err := exec("PRAGMA max_page_count = 4294967294; PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	readOnly := exec("DELETE FROM doctors")
	missing, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "no", "such.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	cantOpen := missing.PingContext(ctx)

	for _, tt := range []struct {
		name                 string
		err                  error
		unavailable, storage bool
	}{
		{"unique violation", dup, false, false},
		{"max_page_count reached", full, true, true},
		{"query_only", readOnly, true, true},
		{"no such file, read-only", cantOpen, true, true},
	} {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if got := sqlstore.IsUnavailable(tt.err); got != tt.unavailable {
			t.Errorf("IsUnavailable(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.unavailable)
		}
		if got := sqlstore.IsStorageFailure(tt.err); got != tt.storage {
			t.Errorf("isStorageFailure(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.storage)
		}
	}
}
