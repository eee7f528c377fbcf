// Package sqlstore implements the healthcare services on PostgreSQL and on
// an embedded SQLite database, with one set of queries written in the SQL
// both engines share. It is the only package that speaks SQL.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"
)

// MigrationsFS holds the migrations of both engines, one folder each.
//
//go:embed migrations
var MigrationsFS embed.FS

// Options tune the store.
type Options struct {
	MaxOpenConns int // PostgreSQL only; SQLite always uses one connection
	// AuditKey keys the hash that stands for an unknown login name in the
	// audit trail.
	AuditKey []byte
	// AuditBatch, when set, is told the size of every audit batch and how
	// long its oldest event waited.
	AuditBatch func(events int, oldest time.Duration)
	// UserCacheMaxAge bounds how long an account read to authenticate a
	// token is reused (see userCache); zero means DefaultUserCacheMaxAge,
	// a negative value reads the account on every request.
	UserCacheMaxAge time.Duration
	// Logger receives what the store's background work has to report;
	// nil is slog's default.
	Logger *slog.Logger
}

// DefaultUserCacheMaxAge is the longest a change of an account (deactivated,
// new password) can go unseen by an instance that missed its report.
const DefaultUserCacheMaxAge = 5 * time.Second

// DB is a handle on the database shared by every service of this package.
type DB struct {
	db        *sql.DB
	dialect   *dialect
	audit     *auditor
	auditKey  []byte
	dir       string // SQLite's database directory, whose filesystem Ready watches
	users     *userCache
	logger    *slog.Logger
	listen    func()             // starts listening for account changes, once
	stop      context.CancelFunc // ends the background work of the store
	done      sync.WaitGroup
	closeMu   sync.Mutex
	closed    bool
	storage   storageHealth
	closeOnce sync.Once
	// Now is the store's clock: UTC, truncated to microseconds, so that both
	// engines store and return the same instant.
	Now func() time.Time
}

// Open connects to the database named by url (postgres://… or sqlite://…).
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	d, dsn, file, err := parseDSN(url)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: d, auditKey: opt.AuditKey, logger: cmp.Or(opt.Logger, slog.Default()),
		Now: func() time.Time { return time.Now() }}
	if age := cmp.Or(opt.UserCacheMaxAge, DefaultUserCacheMaxAge); age > 0 {
		db.users = newUserCache(age, time.Now) // real time, whatever clock the store is given
	}
	sqldb, err := db.openPool(d, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	db.db = sqldb
	if d == sqliteDialect {
		// One connection: SQLite runs one writer at a time anyway, and a
		// single connection cannot time out waiting for the file lock.
		sqldb.SetMaxOpenConns(1)
	} else {
		n := opt.MaxOpenConns
		if n <= 0 {
			n = 16
		}
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
	}
	if file != "" {
		db.dir = filepath.Dir(file)
	}
	if err := db.Ping(ctx); err != nil {
		_ = sqldb.Close()
		return nil, err
	}
	db.audit = newAuditor(db)
	db.audit.observe = opt.AuditBatch
	var bg context.Context
	bg, db.stop = context.WithCancel(context.Background())
	db.listen = func() {}
	if db.users != nil && d == postgresDialect {
		// Started by the first token authenticated, so that a store that
		// authenticates none (a command, most tests) holds no connection
		// for it.
		db.listen = sync.OnceFunc(func() {
			db.closeMu.Lock()
			defer db.closeMu.Unlock()
			if !db.closed {
				db.done.Go(func() { db.listenUsers(bg, dsn) })
			}
		})
	}
	return db, nil
}

// Stats reports the connection pool's state, for metrics.
func (db *DB) Stats() sql.DBStats { return db.db.Stats() }

// Engine names the database engine: "postgres" or "sqlite".
func (db *DB) Engine() string { return db.dialect.name }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", db.dialect.name, err)
	}
	return nil
}

// Close writes the audit events still queued, then closes the pool.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closeMu.Lock()
		db.closed = true
		db.closeMu.Unlock()
		db.stop()
		db.done.Wait()
		db.audit.close()
	})
	return db.db.Close()
}

func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }
