package sqlstore_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clinicapi/healthcare/sqlstore"
)

func TestIsUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"a bug", errors.New("scan: wrong type"), false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"admin shutdown", fmt.Errorf("find patient: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection exception class", &pgconn.PgError{Code: "08006"}, true},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"bad conn", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"closed by the driver", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
	} {
		if got := sqlstore.IsUnavailable(tt.err); got != tt.want {
			t.Errorf("IsUnavailable(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
