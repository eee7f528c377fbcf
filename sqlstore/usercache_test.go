package sqlstore_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// instance is one server's store on a database that others share.
type instance struct {
	db   *sqlstore.DB
	auth *sqlstore.AuthService
}

func openInstance(t *testing.T, url string, maxAge time.Duration) instance {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, url, sqlstore.Options{MaxOpenConns: 2, UserCacheMaxAge: maxAge, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	signer, err := jwt.NewSigner([]byte("cache-test-secret-key-0123456789abcdef"), time.Hour, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return instance{db, sqlstore.NewAuthService(db, plainHasher{}, noPolicy{}, signer)}
}

// loggedIn registers an account on in and returns it with an access token
// that other already honours (so its account is cached there).
func loggedIn(t *testing.T, in, other instance, name string) (*healthcare.User, string) {
	u, pair := loggedInPair(t, in, other, name)
	return u, pair.Access
}

func loggedInPair(t *testing.T, in, other instance, name string) (*healthcare.User, *healthcare.TokenPair) {
	t.Helper()
	ctx := context.Background()
	u, err := in.auth.Register(ctx, healthcare.Registration{Username: name, Email: name + "@example.com", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := in.auth.Login(ctx, name, "pw")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := other.auth.Authenticate(ctx, pair.Access); err != nil {
			t.Fatalf("fresh token refused: %v", err)
		}
	}
	return u, pair
}

// refusedWithin polls until in refuses access, failing after limit.
func refusedWithin(t *testing.T, in instance, access string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := in.auth.Authenticate(context.Background(), access)
		if err != nil {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("token still honoured %v after the change", limit)
		}
		time.Sleep(time.Millisecond)
	}
}

// On PostgreSQL a change made through one instance, or behind the
// instances' backs, reaches every other at once: the cache entries live an
// hour here, so only the change report can explain the refusal.
func TestAccountChangesReachEveryInstance(t *testing.T) {
	url := sqlstoretest.PostgresURL(t)
	a, b := openInstance(t, url, time.Hour), openInstance(t, url, time.Hour)
	ctx := context.Background()

	u, access := loggedIn(t, a, b, "changer")
	if err := a.auth.ChangePassword(healthcare.NewContextWithUser(ctx, u), "pw", "new-pw"); err != nil {
		t.Fatal(err)
	}
	t.Logf("new password refused elsewhere after %v", refusedWithin(t, b, access, 2*time.Second))

	u, access = loggedIn(t, a, b, "deactivated")
	if _, err := sqlstoretest.Raw(t, url).Exec(`UPDATE users SET is_active = false WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	refusedWithin(t, b, access, 2*time.Second)
	refusedWithin(t, a, access, 2*time.Second)

	// Logout ends the session's refresh token everywhere at once (refresh
	// tokens are read from the database every time); its access token
	// lives out its few minutes, as simplejwt's do.
	_, pair := loggedInPair(t, a, b, "loggedout")
	if err := a.auth.Logout(ctx, pair.Refresh); err != nil {
		t.Fatal(err)
	}
	if _, err := b.auth.Refresh(ctx, pair.Refresh); healthcare.ErrorCode(err) != healthcare.ETOKENINVALID {
		t.Fatalf("refresh after logout elsewhere: %v", err)
	}
}

// When the notification connection is cut, an instance authenticates from
// the database until it listens again, and forgets what it kept meanwhile.
func TestAccountChangesWhileNotificationsAreDown(t *testing.T) {
	url := sqlstoretest.PostgresURL(t)
	a, b := openInstance(t, url, time.Hour), openInstance(t, url, time.Hour)
	raw := sqlstoretest.Raw(t, url)
	for round := range 3 {
		u, access := loggedIn(t, a, b, "cut"+string(rune('a'+round)))
		if _, err := raw.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE application_name = 'healthcare-listen' AND datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE users SET is_active = false WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		refusedWithin(t, b, access, 2*time.Second)
	}
	// Listening again, the cache serves again.
	deadline := time.Now().Add(10 * time.Second)
	for !b.db.UserCacheLive() {
		if time.Now().After(deadline) {
			t.Fatal("the instance never listened again")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A change nobody reports (another process on the embedded database, or a
// lost notification) is seen once the entry is UserCacheMaxAge old.
func TestAccountCacheAgeBound(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			const maxAge = 300 * time.Millisecond
			url := sqlstoretest.URL(t, engine)
			a, b := openInstance(t, url, maxAge), openInstance(t, url, maxAge)
			raw := sqlstoretest.Raw(t, url)
			if engine == "postgres" {
				if _, err := raw.Exec(`ALTER TABLE users DISABLE TRIGGER users_change_notify`); err != nil {
					t.Fatal(err)
				}
			}
			u, access := loggedIn(t, a, b, "unreported")
			if _, err := raw.Exec(`UPDATE users SET is_active = false WHERE id = $1`, u.ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(maxAge)
			if _, err := b.auth.Authenticate(context.Background(), access); err == nil {
				t.Fatalf("token honoured %v after an unreported deactivation", maxAge)
			}
		})
	}
}

// A change made through this instance is seen by its next request, with
// no delay at all, on either engine.
func TestAccountChangesInProcess(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := openInstance(t, sqlstoretest.URL(t, engine), time.Hour)
			u, access := loggedIn(t, a, a, "self")
			if err := a.auth.ChangePassword(healthcare.NewContextWithUser(context.Background(), u), "pw", "new-pw"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.auth.Authenticate(context.Background(), access); err == nil {
				t.Fatal("token honoured after the password changed in this process")
			}
		})
	}
}

// A quiet channel is pinged, not torn down: with nothing to report for
// many heartbeats, the instance keeps serving from its cache.
func TestNotificationsSurviveQuiet(t *testing.T) {
	url := sqlstoretest.PostgresURL(t)
	var logs bytes.Buffer
	db, err := sqlstore.Open(context.Background(), url, sqlstore.Options{
		UserCacheMaxAge: 300 * time.Millisecond, // a heartbeat every 100ms
		Logger:          slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Listen()
	time.Sleep(time.Second)
	if !db.UserCacheLive() {
		t.Error("not serving after a quiet second")
	}
	db.Close()
	if logs.Len() > 0 {
		t.Errorf("logged: %s", logs.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
