package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// openPool opens database/sql's pool. On SQLite every connection reports
// each change of a users row to the account cache, before the change
// commits: the pool's one connection serialises the change with every
// read, and a read that began before it is not kept (userCache.put).
func (db *DB) openPool(d *dialect, dsn string) (*sql.DB, error) {
	if d != sqliteDialect || db.users == nil {
		return sql.Open(d.driver, dsn)
	}
	drv := &sqlite.Driver{}
	drv.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, _ string) error {
		hooks, ok := conn.(sqlite.HookRegisterer)
		if !ok {
			return fmt.Errorf("sqlite connection %T takes no update hook", conn)
		}
		hooks.RegisterPreUpdateHook(func(c sqlite.SQLitePreUpdateData) {
			if c.TableName == "users" {
				db.users.invalidate(c.OldRowID)
			}
		})
		return nil
	})
	// Changes by other processes on the same file are not reported; the
	// cache's age bound is what limits them.
	db.users.alwaysAlive = true
	db.users.setLive(true)
	return sql.OpenDB(connector{drv, dsn}), nil
}

type connector struct {
	drv *sqlite.Driver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }
