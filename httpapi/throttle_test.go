package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func expectThrottled(t *testing.T, res *response) {
	t.Helper()
	res.expect(t, 429)
	if res.Obj(t)["code"] != "throttled" {
		t.Errorf("429 body = %s", res.Body)
	}
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", res.Header.Get("Retry-After"))
	}
}

func TestThrottleFailedLoginsPerName(t *testing.T) {
	forEachEngineWith(t, httpapi.Config{}, healthcare.Limit{Requests: 3, Window: 15 * time.Minute}, func(t *testing.T, e *env) {
		u := e.newUser() // its successful login reset the count
		login := func(pw string) *response {
			return e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": pw}})
		}
		login("wrong-1").expect(t, 401)
		login("wrong-2").expect(t, 401)
		login(strongPassword).expect(t, 200) // a success starts the count again
		for range 3 {
			login("wrong-3").expect(t, 401)
		}
		expectThrottled(t, login("wrong-4"))
		// Locked: even the right password waits, so guessing gains nothing.
		expectThrottled(t, login(strongPassword))
		// The count is the account's, whichever of its names is typed.
		for _, name := range []string{"USER" + u.Username[4:], u.Username + "@example.com", "USER" + u.Username[4:] + "@EXAMPLE.COM"} {
			expectThrottled(t, e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": name, "password": strongPassword}}))
		}
		// Other accounts are not affected.
		other := e.newUser()
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": other.Username, "password": strongPassword}}).expect(t, 200)
	})
}

// Failures by email and by username count together: ten by one spelling
// leave no more tries to another. A name of no account counts by its
// folded form.
func TestThrottleFailedLoginsPerAccount(t *testing.T) {
	forEachEngineWith(t, httpapi.Config{}, healthcare.Limit{Requests: 10, Window: 15 * time.Minute}, func(t *testing.T, e *env) {
		u := e.newUser()
		login := func(name, pw string) *response {
			return e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": name, "password": pw}})
		}
		for i := range 10 {
			name := u.Username
			if i%2 == 1 {
				name = u.Username + "@example.com"
			}
			login(name, "wrong-password-"+strconv.Itoa(i)).expect(t, 401)
		}
		expectThrottled(t, login(u.Username+"@example.com", "wrong-password-x"))
		expectThrottled(t, login(u.Username+"@example.com", strongPassword))
		expectThrottled(t, login(u.Username, strongPassword))
		for range 10 {
			login("Nobody-At-All", "wrong-password-y").expect(t, 401)
		}
		expectThrottled(t, login("NOBODY-AT-ALL", "wrong-password-y"))
	})
}

func TestThrottleLoginRace(t *testing.T) {
	forEachEngineWith(t, httpapi.Config{}, healthcare.Limit{Requests: 10, Window: 15 * time.Minute}, func(t *testing.T, e *env) {
		u := e.newUser()
		const n = 50
		statuses := concurrently(n, func(i int) int {
			return e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": "nope-" + strconv.Itoa(i)}}).Status
		})
		if count(statuses, 401) != 10 || count(statuses, 429) != n-10 {
			t.Errorf("401s = %d, 429s = %d; want exactly 10 attempts through", count(statuses, 401), count(statuses, 429))
		}
	})
}

func TestThrottleAuthPerAddress(t *testing.T) {
	cfg := httpapi.Config{AuthLimit: healthcare.Limit{Requests: 4, Window: time.Minute}}
	forEachEngineWith(t, cfg, healthcare.Limit{}, func(t *testing.T, e *env) {
		e.newUser() // register + login: 2
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": "x"}}).expect(t, 401)
		e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{}}).expect(t, 400)
		expectThrottled(t, e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": "a", "password": "b"}}))
		expectThrottled(t, e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{}}))
		// Another client address has its own count.
		e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{}, remote: "192.0.2.9:5555"}).expect(t, 400)
	})
}

func TestThrottleDoctorWritesPerUser(t *testing.T) {
	cfg := httpapi.Config{DoctorWriteLimit: healthcare.Limit{Requests: 3, Window: time.Minute}}
	forEachEngineWith(t, cfg, healthcare.Limit{}, func(t *testing.T, e *env) {
		u, other := e.newUser(), e.newUser()
		d := e.newDoctor(u, nil)
		e.do(req{method: "PATCH", path: "/api/doctors/" + itoa(d), token: u.Access, body: map[string]any{"specialization": "A"}}).expect(t, 200)
		e.do(req{method: "DELETE", path: "/api/doctors/" + itoa(d), token: u.Access}).expect(t, 204)
		expectThrottled(t, e.do(req{method: "POST", path: "/api/doctors/", token: u.Access, body: map[string]any{}}))
		e.do(req{method: "GET", path: "/api/doctors/", token: u.Access}).expect(t, 200) // reads are not writes
		e.newDoctor(other, nil)
		// Anonymous writes are refused as such, and not counted against anyone.
		e.do(req{method: "POST", path: "/api/doctors/", body: map[string]any{}}).expectBody(t, 401, notAuthBody)
	})
}

// TestThrottleSharedAcrossInstances: two servers on one database count together.
func TestThrottleSharedAcrossInstances(t *testing.T) {
	sqlstoretest.ForEachEngine(t, func(t *testing.T, db *sqlstore.DB) {
		cfg := httpapi.Config{AuthLimit: healthcare.Limit{Requests: 3, Window: time.Minute}}
		a, b := newEnvWith(t, db, cfg, healthcare.Limit{}), newEnvWith(t, db, cfg, healthcare.Limit{})
		for _, e := range []*env{a, b, a} {
			e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{}}).expect(t, 400)
		}
		expectThrottled(t, b.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{}}))
	})
}
