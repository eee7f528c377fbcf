package httpapi_test

// OWASP API4:2023 again, from the attacker's side: what the worst request
// an anonymous client can send to each route costs the server, in bytes
// allocated, as a test with a limit and as a benchmark.

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// anonymousRequest is one worst case for a route open to anyone.
type anonymousRequest struct {
	name, method, path, body string
	header                   map[string]string
}

// size is what the client sent: the request line, headers and body.
func (r anonymousRequest) size() int {
	n := len(r.method) + len(r.path) + len(r.body)
	for k, v := range r.header {
		n += len(k) + len(v)
	}
	return n
}

func (r anonymousRequest) build() *http.Request {
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	hr.Host = "localhost"
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	return hr
}

func anonymousRequests() []anonymousRequest {
	const body = 1<<20 - 4096
	manyKeys := func() string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; b.Len() < body; i++ {
			b.WriteString(`"` + strconv.Itoa(i) + `":0,`)
		}
		return b.String() + `"z":0}`
	}()
	bigValue := `{"username":"` + strings.Repeat("u", body/2) + `","password":"` + strings.Repeat("p", body/2-64) + `"}`
	manyParams := strings.Repeat("a=1&", 15000)
	// U+FDFA is 3 bytes and 18 characters once NFKC-normalised.
	expanding := `{"username":"` + strings.Repeat("\ufdfa", body/3-100) + `","email":"a@b.com","password":"Xq7!vLm#29kd"}`
	expandingEmail := `{"username":"ab","email":"` + strings.Repeat("\ufdfa", body/3-100) + `@b.com","password":"Xq7!vLm#29kd"}`
	expandingPassword := `{"username":"ab","email":"a@b.com","password":"` + strings.Repeat("\ufdfa", body/3-100) + `"}`
	var reqs []anonymousRequest
	for _, route := range []string{"/api/auth/login/", "/api/auth/register/", "/api/auth/refresh/", "/api/auth/logout/"} {
		reqs = append(reqs,
			anonymousRequest{name: "many keys " + route, method: "POST", path: route, body: manyKeys},
			anonymousRequest{name: "huge values " + route, method: "POST", path: route, body: bigValue},
		)
	}
	return append(reqs,
		anonymousRequest{name: "expanding username", method: "POST", path: "/api/auth/register/", body: expanding},
		anonymousRequest{name: "expanding email", method: "POST", path: "/api/auth/register/", body: expandingEmail},
		anonymousRequest{name: "expanding password", method: "POST", path: "/api/auth/register/", body: expandingPassword},
		anonymousRequest{name: "expanding login", method: "POST", path: "/api/auth/login/", body: expanding},
		anonymousRequest{name: "many params", method: "GET", path: "/api/doctors/?" + manyParams},
		anonymousRequest{name: "long search", method: "GET", path: "/api/doctors/?search=" + strings.Repeat("ab+", 66) + "&ordering=-last_name,first_name,-email"},
		anonymousRequest{name: "deep page", method: "GET", path: "/api/doctors/?page=99999999999999999999&page_size=100"},
		anonymousRequest{name: "huge token", method: "GET", path: "/api/doctors/", header: map[string]string{"Authorization": "Bearer " + strings.Repeat("A", 60000)}},
		anonymousRequest{name: "huge origin", method: "OPTIONS", path: "/api/doctors/", header: map[string]string{"Origin": "https://" + strings.Repeat("o", 60000), "Access-Control-Request-Method": "GET"}},
		anonymousRequest{name: "huge forwarded-for", method: "GET", path: "/api/doctors/1/", header: map[string]string{"X-Forwarded-For": strings.Repeat("1.2.3.4, ", 6000)}},
		anonymousRequest{name: "huge request id", method: "GET", path: "/healthz", header: map[string]string{"X-Request-ID": strings.Repeat("r", 60000)}},
		anonymousRequest{name: "unknown route", method: "GET", path: "/api/" + strings.Repeat("x/", 30000)},
		anonymousRequest{name: "invented method", method: strings.Repeat("M", 60000), path: "/api/doctors/"},
		anonymousRequest{name: "schema", method: "GET", path: "/api/schema/"},
	)
}

// maxAnonymousCost is what an anonymous request may allocate: a few times
// its size (a path or method is copied by cleaning, matching and quoting it
// in the answer), plus a fixed allowance for the work of any request (the
// database query, the answer).
func maxAnonymousCost(size int) uint64 { return 8*uint64(size) + 256<<10 }

// measuring keeps the engines' subtests from counting each other's bytes:
// every request either sends holds it.
var measuring sync.Mutex

func TestAnonymousRequestCost(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		if e.balancer != "" {
			t.Skip("measures the handler in this process")
		}
		e.newDoctor(e.newUser(), nil)
		for _, r := range anonymousRequests() {
			// Warm pools and prepared statements, under the lock too: the
			// other engine's warm-up would otherwise count in this one's
			// measurement (ReadMemStats is the whole process's).
			measuring.Lock()
			e.handler.ServeHTTP(httptest.NewRecorder(), r.build())
			measuring.Unlock()
			var got uint64
			for range 3 { // the least of three: the audit writer may allocate meanwhile
				hr, rec := r.build(), httptest.NewRecorder()
				var before, after runtime.MemStats
				measuring.Lock() // the other engine's subtest allocates too
				runtime.ReadMemStats(&before)
				e.handler.ServeHTTP(rec, hr)
				runtime.ReadMemStats(&after)
				measuring.Unlock()
				if n := after.TotalAlloc - before.TotalAlloc; got == 0 || n < got {
					got = n
				}
				if rec.Code < 200 || rec.Code == http.StatusInternalServerError {
					t.Errorf("%s: status %d", r.name, rec.Code)
				}
			}
			if limit := maxAnonymousCost(r.size()); got > limit {
				t.Errorf("%s: %d bytes sent cost %d allocated, over %d", r.name, r.size(), got, limit)
			}
		}
	})
}

// A query string holds at most Django's DATA_UPLOAD_MAX_NUMBER_FIELDS
// parameters, 1,000; more is a 400 before any is kept.
func TestTooManyQueryParameters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.do(req{method: "GET", path: "/api/doctors/?" + strings.Repeat("a=1&", 999) + "page=1"}).expect(t, 200)
		res := e.do(req{method: "GET", path: "/api/doctors/?" + strings.Repeat("a=1&", 1000) + "page=1"}).expect(t, 400)
		if res.Obj(t)["code"] != "parse_error" {
			t.Errorf("1,001 parameters: %s, want code parse_error", res.Body)
		}
	})
}

// BenchmarkAnonymousRequests reports what each worst anonymous request
// costs in time and memory, on SQLite.
func BenchmarkAnonymousRequests(b *testing.B) {
	e := newEnv(b, sqlstoretest.Open(b, sqlstoretest.SQLiteURL(b)))
	e.newDoctor(e.newUser(), nil)
	for _, r := range anonymousRequests() {
		b.Run(strings.ReplaceAll(r.name, "/", "_"), func(b *testing.B) {
			b.SetBytes(int64(r.size()))
			b.ReportAllocs()
			for b.Loop() {
				e.handler.ServeHTTP(httptest.NewRecorder(), r.build())
			}
		})
	}
}
