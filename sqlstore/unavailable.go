package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsUnavailable reports whether err means the database cannot be reached
// or is refusing work for now (restarting, shutting down, out of
// connections, locked, out of disk, read-only, failing I/O), as opposed to
// a bug: the first is a 503 that a client may retry, the second a 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || errors.Is(err, errAuditClosed) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) {
		return true
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutting down, crashed, starting
			pgErr.Code == "53300", // too many connections
			pgErr.Code == "53200": // out of memory
			return true
		}
		return pgStorageFailure(pgErr.Code)
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && sqliteUnavailable(liteErr.Code())
}

func sqliteUnavailable(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return sqliteStorageFailure(code)
}

// isStorageFailure reports whether err says that the database cannot be
// written at all for now (no space, read-only, failing I/O), rather than
// that one statement failed.
func isStorageFailure(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgStorageFailure(pgErr.Code)
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && sqliteStorageFailure(liteErr.Code())
}

func pgStorageFailure(code string) bool {
	switch code {
	case "53100", // disk_full
		"58030", // io_error
		"25006": // read_only_sql_transaction: a standby, or a primary turned read-only
		return true
	}
	return false
}

// sqliteStorageFailure reads the primary result code, the low byte of an
// extended one (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, …), so that
// every variant counts.
func sqliteStorageFailure(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}
