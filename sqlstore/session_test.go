package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// console is a store with a staff account ("root") and a plain one ("ann"),
// both with the password "pw", and a clock the test moves.
type console struct {
	db        *sqlstore.DB
	auth      *sqlstore.AuthService
	sessions  *sqlstore.SessionService
	staff     *sqlstore.StaffService
	root, ann int64
	rootCtx   context.Context
	clock     time.Time
}

func newConsole(t *testing.T, db *sqlstore.DB) *console {
	t.Helper()
	c := &console{db: db, clock: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	db.Now = func() time.Time { return c.clock }
	signer, err := jwt.NewSigner([]byte("test-secret-key-test-secret-key-0123"), 5*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c.auth = sqlstore.NewAuthService(db, plainHasher{}, noPolicy{}, signer)
	c.sessions = sqlstore.NewSessionService(c.auth)
	c.staff = sqlstore.NewStaffService(c.auth)
	root, err := c.auth.CreateSuperuser(context.Background(), healthcare.Registration{Username: "root", Email: "root@example.com", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c.root, c.rootCtx = root.ID, healthcare.NewContextWithUser(context.Background(), root)
	ann, err := c.auth.Register(context.Background(), healthcare.Registration{Username: "ann", Email: "ann@example.com", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c.ann = ann.ID
	return c
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := healthcare.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v, want code %q", what, err, code)
	}
}

func TestConsoleSignIn(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		ctx := context.Background()
		_, wrong := c.sessions.SignIn(ctx, "root", "nope")
		_, notStaff := c.sessions.SignIn(ctx, "ann", "pw")
		_, unknown := c.sessions.SignIn(ctx, "nobody", "pw")
		for what, err := range map[string]error{"wrong password": wrong, "not staff": notStaff, "unknown": unknown} {
			wantCode(t, what, err, healthcare.ENOACTIVEACCOUNT)
			if got := healthcare.ErrorMessage(err); got != healthcare.MsgConsoleSignIn {
				t.Errorf("%s: message %q, want the one sign-in answer", what, got)
			}
		}
		id, err := c.sessions.SignIn(ctx, "ROOT@example.com", "pw")
		if err != nil {
			t.Fatalf("SignIn(root): %v", err)
		}
		u, err := c.sessions.Session(ctx, id)
		if err != nil || u.ID != c.root {
			t.Fatalf("Session = %v, %v; want root", u, err)
		}
		if err := c.sessions.SignOut(c.rootCtx, id); err != nil {
			t.Fatal(err)
		}
		_, err = c.sessions.Session(ctx, id)
		wantCode(t, "session after sign-out", err, healthcare.ENOTAUTHENTICATED)
	})
}

func TestConsoleSignInThrottled(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		c := newConsole(t, db)
		c.auth.LoginLimit = healthcare.Limit{Requests: 2, Window: time.Hour}
		ctx := context.Background()
		// The API's failures and the console's count together, per account.
		if _, err := c.auth.Login(ctx, "root", "nope"); healthcare.ErrorCode(err) != healthcare.ENOACTIVEACCOUNT {
			t.Fatal(err)
		}
		if _, err := c.sessions.SignIn(ctx, "root", "nope"); healthcare.ErrorCode(err) != healthcare.ENOACTIVEACCOUNT {
			t.Fatal(err)
		}
		_, err := c.sessions.SignIn(ctx, "root", "pw")
		wantCode(t, "third attempt", err, healthcare.ETHROTTLED)
	})
}

func TestConsoleSessionEnds(t *testing.T) {
	for _, c := range []struct {
		name string
		end  func(t *testing.T, c *console, id string)
	}{
		{"idle", func(t *testing.T, c *console, id string) { c.clock = c.clock.Add(15*time.Minute + time.Second) }},
		{"absolute", func(t *testing.T, c *console, id string) {
			// Used every 10 minutes, it still ends after 8 hours.
			for range 8*6 - 2 {
				c.clock = c.clock.Add(10 * time.Minute)
				if _, err := c.sessions.Session(context.Background(), id); err != nil {
					t.Fatalf("Session before 8 hours: %v", err)
				}
			}
			c.clock = c.clock.Add(10*time.Minute + time.Second)
		}},
		{"deactivated", func(t *testing.T, c *console, id string) {
			if _, err := c.staff.SetUserStaff(c.rootCtx, c.ann, true); err != nil {
				t.Fatal(err)
			}
			annCtx := healthcare.NewContextWithUser(context.Background(), &healthcare.User{ID: c.ann, IsStaff: true, IsActive: true})
			if _, err := c.staff.SetUserActive(annCtx, c.root, false); err != nil {
				t.Fatal(err)
			}
		}},
		{"password changed", func(t *testing.T, c *console, id string) {
			if err := c.auth.ChangePassword(c.rootCtx, "pw", "new"); err != nil {
				t.Fatal(err)
			}
		}},
		{"staff revoked", func(t *testing.T, c *console, id string) {
			if _, err := c.staff.SetUserStaff(c.rootCtx, c.ann, true); err != nil {
				t.Fatal(err)
			}
			if _, err := c.staff.SetUserStaff(c.rootCtx, c.root, false); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
				con := newConsole(t, db)
				id, err := con.sessions.SignIn(context.Background(), "root", "pw")
				if err != nil {
					t.Fatal(err)
				}
				con.clock = con.clock.Add(14 * time.Minute)
				if _, err := con.sessions.Session(context.Background(), id); err != nil {
					t.Fatalf("Session after 14 idle minutes: %v", err)
				}
				c.end(t, con, id)
				_, err = con.sessions.Session(context.Background(), id)
				wantCode(t, "Session", err, healthcare.ENOTAUTHENTICATED)
			})
		})
	}
}

func TestDeleteExpiredConsoleRows(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			c := newConsole(t, sqlstoretest.Open(t, url))
			c.auth.LoginLimit = healthcare.Limit{Requests: 1, Window: time.Minute}
			ctx := context.Background()
			if _, err := c.sessions.SignIn(ctx, "root", "pw"); err != nil {
				t.Fatal(err)
			}
			_, _ = c.auth.Login(ctx, "ann", "nope")
			if _, err := c.auth.Login(ctx, "ann", "nope"); healthcare.ErrorCode(err) != healthcare.ETHROTTLED {
				t.Fatalf("second failed login = %v, want throttled", err)
			}
			raw := sqlstoretest.Raw(t, url)
			count := func(table string) int {
				var n int
				if err := raw.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if count("console_sessions") != 1 || count("throttle_refusals") != 1 {
				t.Fatalf("before the sweep: %d sessions, %d refusal counts; want 1 each", count("console_sessions"), count("throttle_refusals"))
			}
			c.clock = c.clock.Add(23 * time.Hour)
			if err := c.db.DeleteExpired(ctx, time.Minute); err != nil {
				t.Fatal(err)
			}
			if count("console_sessions") != 1 || count("throttle_refusals") != 1 {
				t.Errorf("a day later, rows that could still matter are gone")
			}
			c.clock = c.clock.Add(26 * time.Hour)
			if err := c.db.DeleteExpired(ctx, time.Minute); err != nil {
				t.Fatal(err)
			}
			if n, m := count("console_sessions"), count("throttle_refusals"); n != 0 || m != 0 {
				t.Errorf("after the sweep: %d sessions, %d refusal counts; want none", n, m)
			}
		})
	}
}
