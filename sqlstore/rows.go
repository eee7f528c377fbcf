package sqlstore

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5/stdlib"
)

// rowScanner is what database/sql's rows and pgx's rows both offer.
type rowScanner interface{ Scan(dest ...any) error }

// rowQuerier runs a query for at most one row: a transaction (inTx) or
// the pool (*DB).
type rowQuerier interface {
	queryRow(ctx context.Context, query string, args ...any) rowScanner
}

// inTx runs single-row queries in a transaction.
type inTx struct{ tx querier }

func (t inTx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return t.tx.QueryRowContext(ctx, query, args...)
}

// queryRow runs a single-row query on the pool, with pgx's own scanning on
// PostgreSQL, as eachRow does: the token's user and a patient are read on
// nearly every request.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	if db.dialect != postgresDialect {
		return db.db.QueryRowContext(ctx, query, args...)
	}
	return pgxRow{db: db.db, ctx: ctx, query: query, args: args}
}

// pgxRow runs its query when scanned, as database/sql's Row does; no row
// is sql.ErrNoRows, which pgx.ErrNoRows matches.
type pgxRow struct {
	db    *sql.DB
	ctx   context.Context
	query string
	args  []any
}

func (r pgxRow) Scan(dest ...any) error {
	conn, err := r.db.Conn(r.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		return driverConn.(*stdlib.Conn).Conn().QueryRow(r.ctx, r.query, r.args...).Scan(dest...)
	})
}

// eachRow runs query and calls scan on each row. On PostgreSQL the rows are
// read with pgx's own scanning, on a connection of database/sql's pool
// (Conn.Raw): database/sql converts every value to a driver.Value before
// scanning it, which took a third of the CPU of reading a page of twenty
// patients (BenchmarkDriver/page), for every list on the API.
func (db *DB) eachRow(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	if db.dialect != postgresDialect {
		rows, err := db.db.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanRows(rows, scan)
	}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		rows, err := driverConn.(*stdlib.Conn).Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanRows(rows, scan)
	})
}

// scanRows calls scan on each of database/sql's or pgx's rows.
func scanRows(rows interface {
	rowScanner
	Next() bool
	Err() error
}, scan func(rowScanner) error) error {
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
