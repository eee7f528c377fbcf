package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// handle is where a statement runs: the pool, or one transaction of it.
// Every helper takes one, so a query is written once for both. On
// PostgreSQL, rows read on the pool are scanned by pgx itself, on a
// connection of database/sql's pool (Conn.Raw): database/sql converts every
// value to a driver.Value first, which took a third of the CPU of reading
// a page of patients (BenchmarkDriver).
type handle struct {
	pool *sql.DB
	tx   *sql.Tx // nil: the pool
	pgx  bool    // PostgreSQL: scan with pgx on the pool
}

// scanner is a row to scan: database/sql's or pgx's.
type scanner interface{ Scan(dest ...any) error }

// pool is the handle on the store's pool.
func (db *DB) pool() handle { return handle{pool: db.db, pgx: db.dialect == postgresDialect} }

// withTx runs fn in a transaction and commits it if fn returns nil.
func (db *DB) withTx(ctx context.Context, fn func(h handle) error) (err error) {
	defer func() { db.noteWrite(err) }()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(handle{pool: db.db, tx: tx}); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (h handle) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if h.tx != nil {
		return h.tx.ExecContext(ctx, query, args...)
	}
	return h.pool.ExecContext(ctx, query, args...)
}

// queryRow runs a query for at most one row when the row is scanned, as
// database/sql's Row does; no row is sql.ErrNoRows (which pgx's matches).
func (h handle) queryRow(ctx context.Context, query string, args ...any) scanner {
	return row{h: h, ctx: ctx, query: query, args: args}
}

type row struct {
	h     handle
	ctx   context.Context
	query string
	args  []any
}

func (r row) Scan(dest ...any) error {
	switch {
	case r.h.tx != nil:
		return r.h.tx.QueryRowContext(r.ctx, r.query, r.args...).Scan(dest...)
	case !r.h.pgx:
		return r.h.pool.QueryRowContext(r.ctx, r.query, r.args...).Scan(dest...)
	}
	return r.h.raw(r.ctx, func(c *stdlib.Conn) error {
		return c.Conn().QueryRow(r.ctx, r.query, r.args...).Scan(dest...)
	})
}

// each runs query and calls scan on each row.
func (h handle) each(ctx context.Context, query string, args []any, scan func(scanner) error) error {
	if !h.pgx || h.tx != nil {
		var (
			rows *sql.Rows
			err  error
		)
		if h.tx != nil {
			rows, err = h.tx.QueryContext(ctx, query, args...)
		} else {
			rows, err = h.pool.QueryContext(ctx, query, args...)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanRows(rows, scan)
	}
	return h.raw(ctx, func(c *stdlib.Conn) error {
		rows, err := c.Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanRows(rows, scan)
	})
}

// raw runs fn on a pgx connection taken from the pool.
func (h handle) raw(ctx context.Context, fn func(*stdlib.Conn) error) error {
	conn, err := h.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error { return fn(driverConn.(*stdlib.Conn)) })
}

// scanRows calls scan on each of database/sql's or pgx's rows.
func scanRows(rows interface {
	scanner
	Next() bool
	Err() error
}, scan func(scanner) error) error {
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
