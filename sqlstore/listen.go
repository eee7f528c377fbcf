package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// usersChannel is where migration 00010's trigger reports each committed
// change of a users row, by id.
const usersChannel = "healthcare_users"

// listenUsers keeps a connection listening to usersChannel and drops the
// cache entry of every account reported, until ctx ends. While it is not
// listening, the cache serves nothing; each time it starts listening again
// it drops every entry, since changes made meanwhile were not reported.
func (db *DB) listenUsers(ctx context.Context, dsn string) {
	c := db.users
	beat := min(time.Second, c.maxAge/3)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, dsn, beat)
		c.setLive(false)
		if ctx.Err() != nil {
			return
		}
		db.logger.Warn("account change notifications stopped; authenticating from the database", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, dsn string, beat time.Duration) error {
	c := db.users
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "healthcare-listen"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+usersChannel); err != nil {
		return err
	}
	c.setLive(true)
	for {
		wait, cancel := context.WithTimeout(ctx, beat)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			if id, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil {
				c.invalidate(id)
			} else {
				c.reset()
			}
			c.alive()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet: make sure the connection is still there, since a
			// silently dead one would report nothing.
			ping, cancel := context.WithTimeout(ctx, beat)
			err := conn.Ping(ping)
			cancel()
			if err != nil {
				return err
			}
			c.alive()
		default:
			return err
		}
	}
}
