package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/mock"
	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// contractCheck sends requests to a server and checks every request and
// response against openapi.json.
type contractCheck struct {
	t *testing.T
	v validator.Validator
	// methodNotAllowed is the schema of the 405 body, which no operation
	// can carry: a 405 answers a method the path does not document.
	methodNotAllowed *base.Schema
}

func newContractCheck(t *testing.T) *contractCheck {
	t.Helper()
	doc, err := libopenapi.NewDocument(openapiJSON)
	if err != nil {
		t.Fatalf("libopenapi.NewDocument: %v", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("BuildV3Model: %v", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("validator.NewValidator: %v", errs)
	}
	resp := model.Model.Components.Responses.GetOrZero("MethodNotAllowed")
	if resp == nil {
		t.Fatal("openapi.json has no components.responses.MethodNotAllowed")
	}
	return &contractCheck{t: t, v: v,
		methodNotAllowed: resp.Content.GetOrZero("application/json").Schema.Schema()}
}

// exchange is one request and the status it must get.
type exchange struct {
	method, path string
	// body is sent as is if a string, else as JSON; nil sends none.
	body any
	// contentType defaults to application/json when there is a body.
	contentType string
	token       string
	header      map[string]string
	remote      string
	want        int
	// offContract marks a request that breaks openapi.json on purpose (a
	// wrong type, a missing field, no token): the validator must say so.
	offContract bool
}

func (x exchange) String() string { return x.method + " " + x.path }

func (x exchange) request(t *testing.T) *http.Request {
	t.Helper()
	var body []byte
	switch b := x.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	r := httptest.NewRequest(x.method, x.path, bytes.NewReader(body))
	r.Host = "localhost"
	if x.remote != "" {
		r.RemoteAddr = x.remote
	}
	if x.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if x.contentType != "" {
		r.Header.Set("Content-Type", x.contentType)
	}
	if x.token != "" {
		r.Header.Set("Authorization", "Bearer "+x.token)
	}
	for k, v := range x.header {
		r.Header.Set(k, v)
	}
	return r
}

// reply is what a request got back.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r reply) id(t *testing.T) int64 {
	t.Helper()
	id, ok := r.obj(t)["id"].(float64)
	if !ok {
		t.Fatalf("body has no numeric id: %s", r.body)
	}
	return int64(id)
}

func (r reply) str(t *testing.T, key string) string {
	t.Helper()
	s, ok := r.obj(t)[key].(string)
	if !ok {
		t.Fatalf("body has no string %q: %s", key, r.body)
	}
	return s
}

// do sends x to h and checks the exchange against the document.
func (c *contractCheck) do(h http.Handler, x exchange) reply {
	t := c.t
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, x.request(t))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(body))
	if rec.Code != x.want {
		t.Errorf("%s: status %d, want %d; body %s", x, rec.Code, x.want, body)
	}

	req := x.request(t)
	ok, errs := c.v.ValidateHttpRequestSync(req)
	switch {
	case x.offContract && ok:
		t.Errorf("%s: the request is marked as breaking openapi.json, but the validator accepts it", x)
	case !x.offContract && !ok:
		for _, e := range errs {
			t.Errorf("%s: request does not match openapi.json: %s", x, describeValidationError(e))
		}
	}

	if res.StatusCode == http.StatusMethodNotAllowed {
		c.checkMethodNotAllowed(x, res, body)
	} else if ok, errs := c.v.ValidateHttpResponse(x.request(t), res); !ok {
		for _, e := range errs {
			t.Errorf("%s → %d: response does not match openapi.json: %s\n    body: %.300s", x, res.StatusCode, describeValidationError(e), body)
		}
	}
	return reply{status: rec.Code, header: rec.Header(), body: body}
}

func (c *contractCheck) checkMethodNotAllowed(x exchange, res *http.Response, body []byte) {
	c.t.Helper()
	if res.Header.Get("Allow") == "" || res.Header.Get("X-Request-ID") == "" {
		c.t.Errorf("%s → 405: headers %v lack Allow or X-Request-ID", x, res.Header)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		c.t.Fatalf("%s → 405: body is not JSON: %s", x, body)
	}
	sv := schema_validation.NewSchemaValidator(config.WithFormatAssertions())
	if ok, errs := sv.ValidateSchemaObjectWithVersion(c.methodNotAllowed, v, 3.1); !ok {
		for _, e := range errs {
			c.t.Errorf("%s → 405: body does not match MethodNotAllowed: %s", x, describeValidationError(e))
		}
	}
}

// contractServers are the real server on SQLite, and variants of it that
// make the rarer statuses happen.
type contractServers struct {
	main      http.Handler // no limits
	throttled http.Handler // one auth request per address, one doctor write per user
	timedOut  http.Handler // every request's deadline has passed
	broken    http.Handler // the patient store fails, the database is not ready
}

func newContractServers(t *testing.T) contractServers {
	t.Helper()
	db := sqlstoretest.Open(t, sqlstoretest.SQLiteURL(t))
	start := time.Now()
	db.Now = func() time.Time { return start } // throttle windows cannot roll over mid-test
	hasher, err := password.NewHasher(password.Params{MemoryKiB: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := password.NewPolicy()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jwt.NewSigner([]byte("openapi-test-key-openapi-test-key-0123"), 5*time.Minute, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := Services{
		Auth:        sqlstore.NewAuthService(db, hasher, policy, signer),
		Patients:    sqlstore.NewPatientService(db),
		Doctors:     sqlstore.NewDoctorService(db),
		Assignments: sqlstore.NewAssignmentService(db),
		Audit:       sqlstore.NewAuditService(db),
		Throttle:    sqlstore.NewThrottle(db),
		Ready:       db.Ping,
	}
	cfg := Config{AllowedHosts: []string{"localhost"}}
	limited := cfg
	once := healthcare.Limit{Requests: 1, Window: time.Hour}
	limited.AuthLimit, limited.DoctorWriteLimit = once, once
	late := cfg
	late.RequestTimeout = time.Nanosecond
	broken := svc
	fail := errors.New("injected failure")
	broken.Patients = &mock.PatientService{
		FindPatientsFn: func(context.Context, healthcare.ListOptions) ([]*healthcare.Patient, int, error) {
			return nil, 0, fail
		},
	}
	broken.Ready = func(context.Context) error { return fail }
	return contractServers{
		main:      NewHandler(logger, cfg, svc),
		throttled: NewHandler(logger, limited, svc),
		timedOut:  NewHandler(logger, late, svc),
		broken:    NewHandler(logger, cfg, broken),
	}
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

// TestOpenAPIResponsesMatch drives a broad workflow through the real server
// and checks every request and response against openapi.json: the status
// is documented for the operation, the body matches its schema (formats
// included) and the documented headers are there.
func TestOpenAPIResponsesMatch(t *testing.T) {
	c := newContractCheck(t)
	srv := newContractServers(t)
	h := srv.main
	do := func(x exchange) reply { t.Helper(); return c.do(h, x) }

	// Service endpoints.
	do(exchange{method: "GET", path: "/healthz", want: 200})
	do(exchange{method: "GET", path: "/readyz", want: 200})
	do(exchange{method: "GET", path: "/metrics", want: 404}) // the server runs without metrics
	do(exchange{method: "GET", path: "/api/schema/", want: 200})
	do(exchange{method: "GET", path: "/api/docs/", want: 200})

	// Accounts.
	const pw, pw2 = "Correct-Horse-42", "Battery-Staple-77"
	alice := map[string]any{"username": "alice", "email": "alice@example.com", "password": pw, "first_name": "Alice"}
	do(exchange{method: "POST", path: "/api/auth/register/", body: alice, want: 201})
	do(exchange{method: "POST", path: "/api/auth/register/", body: alice, want: 400}) // taken
	do(exchange{method: "POST", path: "/api/auth/register/", want: 400,
		body: map[string]any{"username": "bob", "email": "not-an-email", "password": "123"}, offContract: true})
	do(exchange{method: "POST", path: "/api/auth/register/", want: 201,
		body: map[string]any{"username": "bob", "email": "bob@example.com", "password": pw, "is_staff": true}})
	do(exchange{method: "POST", path: "/api/auth/login/", want: 401, body: map[string]any{"username": "alice", "password": "wrong-password"}})
	do(exchange{method: "POST", path: "/api/auth/login/", want: 400, body: map[string]any{"username": "alice"}, offContract: true})
	login := do(exchange{method: "POST", path: "/api/auth/login/", want: 200, body: map[string]any{"username": "alice@example.com", "password": pw}})
	refreshed := do(exchange{method: "POST", path: "/api/auth/refresh/", want: 200, body: map[string]any{"refresh": login.str(t, "refresh")}})
	do(exchange{method: "POST", path: "/api/auth/refresh/", want: 401, body: map[string]any{"refresh": login.str(t, "refresh")}}) // reuse
	do(exchange{method: "POST", path: "/api/auth/refresh/", want: 401, body: map[string]any{"refresh": refreshed.str(t, "refresh")}})
	do(exchange{method: "POST", path: "/api/auth/refresh/", want: 400, body: map[string]any{}, offContract: true})
	login = do(exchange{method: "POST", path: "/api/auth/login/", want: 200, body: map[string]any{"username": "alice", "password": pw}})
	do(exchange{method: "POST", path: "/api/auth/logout/", want: 204, body: map[string]any{"refresh": login.str(t, "refresh")}})
	do(exchange{method: "POST", path: "/api/auth/logout/", want: 401, body: map[string]any{"refresh": login.str(t, "refresh")}})
	access := login.str(t, "access")
	do(exchange{method: "GET", path: "/api/auth/me/", token: access, want: 200})
	do(exchange{method: "GET", path: "/api/auth/me/", want: 401, offContract: true})
	do(exchange{method: "GET", path: "/api/auth/me/", token: "not.a.token", want: 401})
	do(exchange{method: "POST", path: "/api/auth/password/", token: access, want: 400,
		body: map[string]any{"old_password": "wrong-password", "new_password": pw2}})
	do(exchange{method: "POST", path: "/api/auth/password/", token: access, want: 400,
		body: map[string]any{"old_password": pw, "new_password": "12345678"}})
	do(exchange{method: "POST", path: "/api/auth/password/", token: access, want: 204,
		body: map[string]any{"old_password": pw, "new_password": pw2}})
	tok := do(exchange{method: "POST", path: "/api/auth/login/", want: 200, body: map[string]any{"username": "alice", "password": pw2}}).str(t, "access")
	bob := do(exchange{method: "POST", path: "/api/auth/login/", want: 200, body: map[string]any{"username": "bob", "password": pw}}).str(t, "access")

	// Bodies the decoder refuses.
	jon := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01", "notes": "N/A"}
	do(exchange{method: "POST", path: "/api/patients/", token: tok, body: "[1, 2]", want: 400, offContract: true})
	do(exchange{method: "POST", path: "/api/patients/", token: tok, body: `{"first_name": `, want: 400, offContract: true})
	do(exchange{method: "POST", path: "/api/patients/", token: tok, body: "first_name=Jon", contentType: "application/x-www-form-urlencoded", want: 400})
	do(exchange{method: "POST", path: "/api/patients/", token: tok, body: "<patient/>", contentType: "application/xml", want: 415, offContract: true})
	huge := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": "huge@example.com", "dob": "1990-01-01",
		"notes": strings.Repeat("x", MaxBodyBytes)}
	do(exchange{method: "POST", path: "/api/patients/", token: tok, body: huge, want: 413})
	do(exchange{method: "POST", path: "/api/patients/", body: jon, want: 401, offContract: true})

	// Patients.
	created := do(exchange{method: "POST", path: "/api/patients/", token: tok, body: jon, want: 201})
	pid := created.id(t)
	etag := created.header.Get("ETag")
	do(exchange{method: "POST", path: "/api/patients/", token: tok, body: jon, want: 400}) // same email
	do(exchange{method: "POST", path: "/api/patients/", token: tok, want: 400, offContract: true,
		body: map[string]any{"first_name": "", "last_name": "Roe", "email": "x@example.com", "dob": "01/02/1990"}})
	do(exchange{method: "POST", path: "/api/patients/", token: tok, want: 400, // a date of birth in the future
		body: map[string]any{"first_name": "Ann", "last_name": "Roe", "email": "ann@example.com", "dob": "2999-01-01"}})
	second := do(exchange{method: "POST", path: "/api/patients/", token: tok, want: 201,
		body: map[string]any{"first_name": "Ann", "last_name": "Roe", "email": "ann@example.com", "dob": "1985-05-05", "id": 999, "owner": 2}})
	do(exchange{method: "GET", path: "/api/patients/", token: tok, want: 200})
	page1 := do(exchange{method: "GET", path: "/api/patients/?page_size=1&ordering=-dob,last_name", token: tok, want: 200})
	if next, _ := page1.obj(t)["next"].(string); next == "" {
		t.Errorf("first page of two has no next link: %s", page1.body)
	} else {
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		do(exchange{method: "GET", path: u.RequestURI(), token: tok, want: 200})
	}
	do(exchange{method: "GET", path: "/api/patients/?page=5", token: tok, want: 404})
	do(exchange{method: "GET", path: "/api/patients/?page_size=1000&search=jon", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/patients/?ordering=age", token: tok, want: 200, offContract: true}) // ignored, as in DRF
	do(exchange{method: "GET", path: "/api/patients/?page=0", token: tok, want: 404})
	do(exchange{method: "GET", path: "/api/patients/", want: 401, offContract: true})
	do(exchange{method: "GET", path: "/api/patients/" + fmtID(pid) + "/", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/patients/" + fmtID(pid) + "/", token: bob, want: 404}) // not bob's
	do(exchange{method: "GET", path: "/api/patients/999999/", token: tok, want: 404})
	do(exchange{method: "GET", path: "/api/patients/abc/", token: tok, want: 404, offContract: true})
	put := map[string]any{"first_name": "Jonathan", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01"}
	updated := do(exchange{method: "PUT", path: "/api/patients/" + fmtID(pid) + "/", token: tok, body: put,
		header: map[string]string{"If-Match": etag}, want: 200})
	do(exchange{method: "PUT", path: "/api/patients/" + fmtID(pid) + "/", token: tok, body: put,
		header: map[string]string{"If-Match": etag}, want: 412}) // stale
	do(exchange{method: "PUT", path: "/api/patients/" + fmtID(pid) + "/", token: tok, body: map[string]any{"first_name": "Jo"},
		want: 400, offContract: true})
	do(exchange{method: "PATCH", path: "/api/patients/" + fmtID(pid) + "/", token: tok, body: map[string]any{"notes": ""},
		header: map[string]string{"If-Match": updated.header.Get("ETag")}, want: 200})
	do(exchange{method: "PATCH", path: "/api/patients/" + fmtID(pid) + "/", token: tok, want: 200}) // no body
	do(exchange{method: "PATCH", path: "/api/patients/" + fmtID(pid) + "/", token: tok, body: map[string]any{"dob": 1990},
		want: 400, offContract: true})
	do(exchange{method: "PATCH", path: "/api/patients/" + fmtID(pid) + "/", token: tok, body: map[string]any{"email": "ann@example.com"},
		want: 400}) // another of alice's patients has it
	do(exchange{method: "PATCH", path: "/api/patients/999999/", token: tok, body: map[string]any{}, want: 404})
	do(exchange{method: "DELETE", path: "/api/patients/" + fmtID(second.id(t)) + "/", token: tok,
		header: map[string]string{"If-Match": `"1000"`}, want: 412})

	// Doctors.
	alicia := map[string]any{"first_name": "Alicia", "last_name": "Smith", "email": "alicia@clinic.example.com", "specialization": "Cardiology"}
	do(exchange{method: "POST", path: "/api/doctors/", body: alicia, want: 401, offContract: true})
	do(exchange{method: "POST", path: "/api/doctors/", token: "not.a.token", body: alicia, want: 401})
	doc := do(exchange{method: "POST", path: "/api/doctors/", token: tok, body: alicia, want: 201})
	did := doc.id(t)
	do(exchange{method: "POST", path: "/api/doctors/", token: bob, body: alicia, want: 400}) // taken email
	do(exchange{method: "POST", path: "/api/doctors/", token: tok, body: map[string]any{"first_name": "X"}, want: 400, offContract: true})
	do(exchange{method: "POST", path: "/api/doctors/", token: tok, body: "<doctor/>", contentType: "text/xml", want: 415, offContract: true})
	do(exchange{method: "GET", path: "/api/doctors/", want: 200})
	do(exchange{method: "GET", path: "/api/doctors/", token: "not.a.token", want: 401})
	do(exchange{method: "GET", path: "/api/doctors/?specialization=cardiology&search=smith&ordering=-specialization,id", want: 200})
	do(exchange{method: "GET", path: "/api/doctors/?page_size=x", want: 200, offContract: true}) // ignored, as in DRF
	do(exchange{method: "GET", path: "/api/doctors/" + fmtID(did) + "/", want: 200})
	do(exchange{method: "GET", path: "/api/doctors/999999/", want: 404})
	do(exchange{method: "PUT", path: "/api/doctors/" + fmtID(did) + "/", token: tok, want: 200,
		body: map[string]any{"first_name": "Alicia", "last_name": "Smith", "email": "alicia@clinic.example.com", "specialization": "Neurology"}})
	do(exchange{method: "PATCH", path: "/api/doctors/" + fmtID(did) + "/", token: bob, body: map[string]any{"specialization": "Cardiology"}, want: 200})
	do(exchange{method: "PATCH", path: "/api/doctors/" + fmtID(did) + "/", token: bob, body: map[string]any{"specialization": strings.Repeat("x", 101)},
		want: 400, offContract: true})
	do(exchange{method: "PATCH", path: "/api/doctors/999999/", token: bob, body: map[string]any{}, want: 404})

	// Assignments.
	pair := map[string]any{"patient": pid, "doctor": did}
	assigned := do(exchange{method: "POST", path: "/api/mappings/", token: tok, body: pair, want: 201})
	do(exchange{method: "POST", path: "/api/mappings/", token: tok, body: pair, want: 400}) // the same pair
	do(exchange{method: "POST", path: "/api/mappings/", token: bob, body: pair, want: 400}) // not bob's patient
	do(exchange{method: "POST", path: "/api/mappings/", token: tok, body: map[string]any{"patient": "x", "doctor": did}, want: 400, offContract: true})
	do(exchange{method: "GET", path: "/api/mappings/", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/mappings/?ordering=-created_at,patient", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/mappings/?ordering=doctor_detail", token: tok, want: 200, offContract: true})
	do(exchange{method: "GET", path: "/api/mappings/" + fmtID(pid) + "/", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/mappings/" + fmtID(pid) + "/?search=alicia&ordering=last_name", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/mappings/" + fmtID(pid) + "/", token: bob, want: 404})
	do(exchange{method: "GET", path: "/api/patients/" + fmtID(pid) + "/doctors/", token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/patients/" + fmtID(pid) + "/doctors/?page=2", token: tok, want: 404})
	do(exchange{method: "DELETE", path: "/api/doctors/" + fmtID(did) + "/", token: tok, want: 409})
	do(exchange{method: "DELETE", path: "/api/mappings/" + fmtID(assigned.id(t)) + "/", token: bob, want: 404})
	do(exchange{method: "DELETE", path: "/api/mappings/" + fmtID(assigned.id(t)) + "/", token: tok, want: 204})
	do(exchange{method: "DELETE", path: "/api/mappings/" + fmtID(assigned.id(t)) + "/", token: tok, want: 404})
	do(exchange{method: "DELETE", path: "/api/doctors/" + fmtID(did) + "/", token: tok, want: 204})
	do(exchange{method: "DELETE", path: "/api/doctors/" + fmtID(did) + "/", token: tok, want: 404})
	do(exchange{method: "DELETE", path: "/api/patients/" + fmtID(pid) + "/", token: tok, want: 204})
	do(exchange{method: "DELETE", path: "/api/patients/" + fmtID(pid) + "/", token: tok, want: 404})

	// The audit trail.
	do(exchange{method: "GET", path: "/api/audit/", token: tok, want: 200})
	since := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	until := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339Nano))
	do(exchange{method: "GET", path: "/api/audit/?page_size=2&patient=" + fmtID(pid) + "&action=patient.read&since=" + since + "&until=" + until,
		token: tok, want: 200})
	do(exchange{method: "GET", path: "/api/audit/?since=yesterday", token: tok, want: 400, offContract: true})
	do(exchange{method: "GET", path: "/api/audit/?patient=-3", token: tok, want: 400, offContract: true})
	do(exchange{method: "GET", path: "/api/audit/?page=99", token: tok, want: 404})

	// Methods a path does not have.
	do(exchange{method: "PUT", path: "/api/patients/", token: tok, body: jon, want: 405, offContract: true})
	do(exchange{method: "DELETE", path: "/api/auth/me/", token: tok, want: 405, offContract: true})

	// Rate limits: 429 with Retry-After.
	const addr = "198.51.100.7:4321"
	c.do(srv.throttled, exchange{method: "POST", path: "/api/auth/login/", remote: addr, want: 200, body: map[string]any{"username": "bob", "password": pw}})
	c.do(srv.throttled, exchange{method: "POST", path: "/api/auth/login/", remote: addr, want: 429, body: map[string]any{"username": "bob", "password": pw}})
	c.do(srv.throttled, exchange{method: "POST", path: "/api/auth/register/", remote: addr, want: 429, body: alice})
	c.do(srv.throttled, exchange{method: "POST", path: "/api/auth/refresh/", remote: addr, want: 429, body: map[string]any{"refresh": "x"}})
	d2 := c.do(srv.throttled, exchange{method: "POST", path: "/api/doctors/", token: bob, body: alicia, want: 201})
	c.do(srv.throttled, exchange{method: "DELETE", path: "/api/doctors/" + fmtID(d2.id(t)) + "/", token: bob, want: 429})

	// A database that is out of time or unreachable: 503 with Retry-After.
	c.do(srv.timedOut, exchange{method: "GET", path: "/api/doctors/", want: 503})
	c.do(srv.broken, exchange{method: "GET", path: "/readyz", want: 503})
	// An unexpected failure: 500 with nothing of the cause.
	if r := c.do(srv.broken, exchange{method: "GET", path: "/api/patients/", token: tok, want: 500}); strings.Contains(string(r.body), "injected") {
		t.Errorf("500 body reveals its cause: %s", r.body)
	}
}
