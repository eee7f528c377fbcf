package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// bulkRows is how many new rows an empty table takes before the import
// builds its indexes after the copy rather than during it.
const bulkRows = 10_000

// PostgreSQL's catalog: a table's unique and foreign-key constraints, and
// its indexes that back no constraint, with the SQL that makes each.
const (
	pgTableConstraintsSQL = `SELECT c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND t.relname = $1 AND c.contype IN ('u', 'f') ORDER BY c.conname`
	liteTableIndexesSQL = `SELECT name, sql FROM sqlite_master
WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`
	pgTableIndexesSQL = `SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = $1 AND NOT EXISTS (
  SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
  WHERE t.relname = $1 AND c.conname = i.indexname) ORDER BY i.indexname`
)

// dropIndexes drops table's secondary indexes, and on PostgreSQL its
// unique and foreign-key constraints, inside tx, and returns the
// statements that make them again as they were. (SQLite's constraints are
// part of its tables; only the indexes made by CREATE INDEX can go.) Loading a million rows and then building each
// index once, sorted, took half the time of maintaining them row by row
// (and checking each row's foreign keys one at a time). Both are undone
// with the transaction if the import does not commit. The primary key
// stays: other tables' foreign keys stand on it.
func (d *dialect) dropIndexes(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	var drop, again []string
	name := pgx.Identifier{table}.Sanitize()
	read := func(query string, fn func(obj, def string)) error {
		rows, err := tx.QueryContext(ctx, query, table)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var obj, def string
			if err := rows.Scan(&obj, &def); err != nil {
				return err
			}
			fn(obj, def)
		}
		return rows.Err()
	}
	if d == sqliteDialect {
		err := read(liteTableIndexesSQL, func(obj, def string) {
			drop = append(drop, "DROP INDEX "+pgx.Identifier{obj}.Sanitize())
			again = append(again, def)
		})
		if err != nil {
			return nil, fmt.Errorf("read %s indexes: %w", table, err)
		}
		return again, execAll(ctx, tx, table, drop)
	}
	err := read(pgTableConstraintsSQL, func(obj, def string) {
		c := pgx.Identifier{obj}.Sanitize()
		drop = append(drop, "ALTER TABLE "+name+" DROP CONSTRAINT "+c)
		again = append(again, "ALTER TABLE "+name+" ADD CONSTRAINT "+c+" "+def)
	})
	if err != nil {
		return nil, fmt.Errorf("read %s constraints: %w", table, err)
	}
	err = read(pgTableIndexesSQL, func(obj, def string) {
		drop = append(drop, "DROP INDEX "+pgx.Identifier{obj}.Sanitize())
		again = append(again, def)
	})
	if err != nil {
		return nil, fmt.Errorf("read %s indexes: %w", table, err)
	}
	return again, execAll(ctx, tx, table, drop)
}

func execAll(ctx context.Context, tx *sql.Tx, table string, stmts []string) error {
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("set %s indexes aside: %w", table, err)
		}
	}
	return nil
}
