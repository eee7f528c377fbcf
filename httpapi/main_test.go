package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

func TestMain(m *testing.M) { sqlstoretest.Main(m) }

// testKey signs the test server's tokens.
var testKey = []byte("test-secret-key-test-secret-key-0123")

// cheapHash keeps the tests fast; production parameters are tested in password.
var cheapHash = password.Params{MemoryKiB: 64, Time: 1, Threads: 1}

var testPolicy = func() *password.Policy {
	p, err := password.NewPolicy()
	if err != nil {
		panic(err)
	}
	return p
}()

func mustHasher(t testing.TB) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(cheapHash)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// env is the real server on a real database of one engine.
type env struct {
	t       testing.TB
	handler http.Handler
	dbs     []*sqlstore.DB // one per instance
	auth    *sqlstore.AuthService
	url     string
	signer  *jwt.Signer
	logs    *bytes.Buffer
	seq     *atomic.Int64
	// balancer, when set, is nginx's URL: requests go there over HTTP
	// instead of to handler (see balanced_test.go).
	balancer string
	served   []*atomic.Int64 // requests each instance served
}

// forEachEngine runs fn against a fresh server on each engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	forEachEngineWith(t, httpapi.Config{}, healthcare.Limit{}, fn)
}

// forEachEngineWith is forEachEngine with limits.
func forEachEngineWith(t *testing.T, cfg httpapi.Config, login healthcare.Limit, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqlstoretest.URL(t, engine)
			if balanced && engine == "postgres" {
				fn(t, newBalancedEnv(t, url, cfg, login))
				return
			}
			e := newEnvWith(t, sqlstoretest.Open(t, url), cfg, login)
			e.url = url
			fn(t, e)
		})
	}
}

// closeDB closes every instance's database handle.
func (e *env) closeDB() {
	for _, db := range e.dbs {
		db.Close()
	}
}

// raw is a plain handle on the test's database, for doing what no route does.
func (e *env) raw() *sql.DB { return sqlstoretest.Raw(e.t, e.url) }

func newEnv(t testing.TB, db *sqlstore.DB) *env {
	t.Helper()
	return newEnvWith(t, db, httpapi.Config{}, healthcare.Limit{})
}

// newEnvWith is newEnv with limits; the allowed hosts are always the test's.
func newEnvWith(t testing.TB, db *sqlstore.DB, cfg httpapi.Config, loginLimit healthcare.Limit) *env {
	t.Helper()
	logs := &bytes.Buffer{}
	return newEnvLogging(t, db, cfg, loginLimit, logs, &lockedWriter{w: logs})
}

// newEnvLogging is newEnvWith logging to w, which writes to logs.
func newEnvLogging(t testing.TB, db *sqlstore.DB, cfg httpapi.Config, loginLimit healthcare.Limit, logs *bytes.Buffer, w io.Writer) *env {
	t.Helper()
	hasher := mustHasher(t)
	signer, err := jwt.NewSigner(testKey, 5*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(w, nil))
	auth := sqlstore.NewAuthService(db, hasher, testPolicy, signer)
	auth.LoginLimit = loginLimit
	cfg.AllowedHosts = []string{"localhost", "127.0.0.1"}
	h := httpapi.NewHandler(logger, cfg, httpapi.Services{
		Auth:        auth,
		Patients:    sqlstore.NewPatientService(db),
		Doctors:     sqlstore.NewDoctorService(db),
		Assignments: sqlstore.NewAssignmentService(db),
		Audit:       sqlstore.NewAuditService(db),
		Throttle:    sqlstore.NewThrottle(db),
		Ready:       db.Ready,
	})
	return &env{t: t, handler: h, dbs: []*sqlstore.DB{db}, auth: auth, signer: signer, logs: logs, seq: &atomic.Int64{}}
}

// lockedWriter lets parallel requests share one log buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// response is what a request got back.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r *response) JSON(t testing.TB) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response body is not JSON: %v: %s", err, r.Body)
	}
	return v
}

// Obj decodes the body as a JSON object.
func (r *response) Obj(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("response body is not a JSON object: %s", r.Body)
	}
	return m
}

// req describes a request: body may be a string (sent as is) or any value
// (sent as JSON).
type req struct {
	method, path string
	body         any
	token        string
	header       map[string]string
	remote       string // the client's address, 192.0.2.1:1234 if empty
}

func (e *env) do(r req) *response {
	e.t.Helper()
	return e.doRequest(r.build(e.t))
}

// doRequest sends hr, for what a req cannot describe.
func (e *env) doRequest(hr *http.Request) *response {
	e.t.Helper()
	var res *http.Response
	if e.balancer != "" {
		res = e.roundTrip(hr)
	} else {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, hr)
		res = rec.Result()
	}
	b, _ := io.ReadAll(res.Body)
	if res.Header.Get("X-Request-ID") == "" {
		e.t.Errorf("%s %s: no X-Request-ID", hr.Method, hr.URL.Path)
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	checkAgainstSchema(e.t, hr, res, b)
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// build makes the http.Request r describes.
func (r req) build(t testing.TB) *http.Request {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	hr.Host = "localhost"
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	if r.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if k == "Host" {
			hr.Host = v
			continue
		}
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	return hr
}

// expect checks the status, failing with the body for context.
func (r *response) expect(t testing.TB, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// expectBody checks status and the whole JSON body.
func (r *response) expectBody(t testing.TB, status int, want string) {
	t.Helper()
	r.expect(t, status)
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if diff := cmp.Diff(w, r.JSON(t)); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

// user is an account with its tokens.
type user struct {
	ID       int64
	Username string
	Access   string
	Refresh  string
}

const strongPassword = "c0rrect-h0rse-battery"

// newUser registers and logs in a fresh account.
func (e *env) newUser() user {
	e.t.Helper()
	n := e.seq.Add(1)
	name := fmt.Sprintf("user%d", n)
	reg := e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
		"username": name, "email": name + "@example.com", "password": strongPassword,
	}}).expect(e.t, 201).Obj(e.t)
	tok := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{
		"username": name, "password": strongPassword,
	}}).expect(e.t, 200).Obj(e.t)
	return user{ID: int64(reg["id"].(float64)), Username: name, Access: tok["access"].(string), Refresh: tok["refresh"].(string)}
}

// newStaff creates a staff account, as the command line does, and logs in.
func (e *env) newStaff() user {
	e.t.Helper()
	name := fmt.Sprintf("staff%d", e.seq.Add(1))
	u, err := e.auth.CreateSuperuser(context.Background(), healthcare.Registration{Username: name, Email: name + "@example.com", Password: strongPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	tok := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{
		"username": name, "password": strongPassword,
	}}).expect(e.t, 200).Obj(e.t)
	return user{ID: u.ID, Username: name, Access: tok["access"].(string), Refresh: tok["refresh"].(string)}
}

// newPatient creates a patient for u and returns its id.
func (e *env) newPatient(u user, fields map[string]any) int64 {
	e.t.Helper()
	n := e.seq.Add(1)
	body := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": fmt.Sprintf("p%d@example.com", n), "dob": "1990-01-01"}
	for k, v := range fields {
		body[k] = v
	}
	p := e.do(req{method: "POST", path: "/api/patients/", token: u.Access, body: body}).expect(e.t, 201).Obj(e.t)
	return int64(p["id"].(float64))
}

// newDoctor creates a doctor and returns its id.
func (e *env) newDoctor(u user, fields map[string]any) int64 {
	e.t.Helper()
	n := e.seq.Add(1)
	body := map[string]any{"first_name": "Alice", "last_name": "Smith", "email": fmt.Sprintf("d%d@clinic.com", n), "specialization": "Cardiology"}
	for k, v := range fields {
		body[k] = v
	}
	d := e.do(req{method: "POST", path: "/api/doctors/", token: u.Access, body: body}).expect(e.t, 201).Obj(e.t)
	return int64(d["id"].(float64))
}

func (e *env) assign(u user, patient, doctor int64) int64 {
	e.t.Helper()
	a := e.do(req{method: "POST", path: "/api/mappings/", token: u.Access,
		body: map[string]any{"patient": patient, "doctor": doctor}}).expect(e.t, 201).Obj(e.t)
	return int64(a["id"].(float64))
}

const (
	notFoundBody     = `{"detail": "Not found.", "code": "not_found"}`
	notAuthBody      = `{"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}`
	tokenInvalidBody = `{"detail": "Token is invalid or expired", "code": "token_not_valid"}`
	wrongTypeBody    = `{"detail": "Token has wrong type", "code": "token_not_valid"}`
	// accessTokenBody is simplejwt's answer to an access token that is not valid.
	accessTokenBody = `{"detail": "Given token not valid for any token type", "code": "token_not_valid",
		"messages": [{"token_class": "AccessToken", "token_type": "access", "message": "Token is invalid or expired"}]}`
	noActiveAccountBd = `{"detail": "No active account found with the given credentials", "code": "no_active_account"}`
)

// schema validates every response the tests receive against openapi.json,
// the document /api/schema/ serves.
var schema = sync.OnceValues(func() (validator.Validator, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return v, nil
})

// checkAgainstSchema fails the test if a response of a documented
// operation does not match the document. Paths and methods the document
// does not have (a 404 for /api/nothing, a 405) have nothing to match.
func checkAgainstSchema(t testing.TB, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	v, err := schema()
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if res.StatusCode == http.StatusMethodNotAllowed || req.Method == http.MethodOptions {
		return
	}
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = "http", "localhost"
	if ok, errs := v.ValidateHttpResponse(req, res); !ok {
		for _, e := range errs {
			if e.ValidationType == "path" || strings.Contains(e.Message, "not found") {
				return // not a documented operation
			}
			t.Errorf("%s %s → %d: response does not match openapi.json: %s (%s)\n    body: %.300s",
				req.Method, req.URL.Path, res.StatusCode, e.Message, e.Reason, body)
		}
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
}
