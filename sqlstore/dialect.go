package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every difference between the two engines; the queries
// elsewhere are written once, in the subset both understand.
type dialect struct {
	name       string // "postgres" or "sqlite"
	driver     string
	goose      goose.Dialect
	migrations string // directory inside migrationsFS
	// forUpdate and forShare lock rows read inside a transaction. SQLite
	// needs neither: its transactions begin IMMEDIATE and so run one at a time.
	forUpdate string
	forShare  string
}

var (
	postgresDialect = &dialect{
		name: "postgres", driver: "pgx", goose: goose.DialectPostgres, migrations: "migrations/postgres",
		forUpdate: " FOR UPDATE", forShare: " FOR SHARE",
	}
	sqliteDialect = &dialect{
		name: "sqlite", driver: "sqlite", goose: goose.DialectSQLite3, migrations: "migrations/sqlite",
	}
)

// parseDSN picks the dialect for a database URL and returns the driver's
// DSN and, for SQLite, the database file's path.
func parseDSN(url string) (d *dialect, dsn, file string, err error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgresDialect, url, "", nil
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" || path == "/" {
			return nil, "", "", errors.New("sqlite URL has no file path")
		}
		// Foreign keys are off by default in SQLite. IMMEDIATE transactions
		// take the write lock up front, so two writers queue on busy_timeout
		// instead of deadlocking on a lock upgrade.
		// In a "file:" URI, "#" would end the name and "%" start an escape.
		escaped := strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
		dsn := "file:" + escaped + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
			"&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
		return sqliteDialect, dsn, path, nil
	default:
		return nil, "", "", fmt.Errorf("unsupported database URL scheme (want postgres:// or sqlite://)")
	}
}

// sqliteRoomSQL measures how many bytes the database may still grow by
// under its page limit (max_page_count, which is per connection), free
// pages counted. Only SQLite has such a limit; PostgreSQL's room is the
// server's own business.
const sqliteRoomSQL = `SELECT (m.max_page_count - c.page_count + f.freelist_count) * s.page_size
FROM pragma_max_page_count() m, pragma_page_count() c, pragma_freelist_count() f, pragma_page_size() s`

func (d *dialect) migrationsFS() (fs.FS, error) {
	return fs.Sub(MigrationsFS, d.migrations)
}

// violation is the kind of constraint a statement broke.
type violation int

const (
	noViolation violation = iota
	uniqueViolation
	foreignKeyViolation
)

// classify tells a constraint violation from any other error, by the
// engine's error code and never by message text.
func classify(err error) violation {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		}
		return noViolation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		}
	}
	return noViolation
}

// sequenceSQL moves the id sequence of table past its largest id, never
// back, so that rows inserted with their ids kept (an import) are never
// collided with. SQLite's AUTOINCREMENT keeps the largest id ever inserted
// in sqlite_sequence by itself; the statement makes sure of it. Table
// names come from the store's own lists, never from input.
func (d *dialect) sequenceSQL(table string) string {
	if d == postgresDialect {
		return `SELECT setval(pg_get_serial_sequence('` + table + `', 'id'), GREATEST(COALESCE(max(id), 0),
COALESCE((SELECT last_value FROM pg_sequences WHERE schemaname = current_schema() AND sequencename = '` + table + `_id_seq'), 0)) + 1,
false) FROM ` + table
	}
	return `UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM ` + table + `)
WHERE name = '` + table + `' AND seq < (SELECT max(id) FROM ` + table + `)`
}

// insertRowsSQL is SQLite's INSERT of n rows, for bulk copies. Its
// placeholders are anonymous ("?"), unlike every other statement's: SQLite
// looks a numbered parameter's name up in a list as long as the statement's
// parameters, which made binding a row of a 12,000-parameter INSERT
// quadratic (80% of an import's time). Table and column names come from
// the store's own lists, never from input.
func insertRowsSQL(table string, columns []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}
