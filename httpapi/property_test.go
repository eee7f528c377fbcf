package httpapi_test

// A stateful property-based test of the whole API: rapid draws sequences of
// registrations, logins, token rotations, patient, doctor and assignment
// writes and reads, and audit reads by several users, and after every step
// the answers are held against a small model of who owns what (API.md).

import (
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var propSkip = flag.String("prop.skip", "",
	"known defects whose requests TestPropertyAPI leaves out, comma-separated, or all: "+
		"email-username (a username equal to another account's email, or the reverse), "+
		"unicode-case (usernames equal under Unicode case folding: straße, STRASSE), "+
		"login-token (a failed login for one account sent with another's access token)")

// propSkipped reports whether -prop.skip leaves out the requests of a known defect.
func propSkipped(defect string) bool {
	return *propSkip == "all" || slices.Contains(strings.Split(*propSkip, ","), defect)
}

// TestPropertyAPI runs rapid's state machine on each engine. One server and
// database per engine serves every case, so each case names its accounts and
// doctors with a prefix of its own and reasons only about what it created.
//
// The default is a bound for CI: propChecks cases of about propSteps steps
// (rapid draws the length of each).
// Run it long with rapid's flags (or RAPID_CHECKS and RAPID_STEPS):
//
//	go test -race -count=1 ./httpapi/ -run TestPropertyAPI -rapid.checks=2000 -rapid.steps=200 -timeout=2h
//
// -rapid.seed=N replays a run, -rapid.v logs every case, and -prop.skip
// leaves out the requests that meet known defects, to look past them.
func TestPropertyAPI(t *testing.T) {
	defaultFlag(t, "rapid.checks", "RAPID_CHECKS", propChecks)
	defaultFlag(t, "rapid.steps", "RAPID_STEPS", propSteps)
	forEachEngine(t, func(t *testing.T, e *env) {
		rapid.Check(t, func(rt *rapid.T) {
			m := newPropModel(t, rt, e)
			// Two accounts and some records to start with, so that the first
			// steps can already cross owners.
			m.Register(rt)
			m.Register(rt)
			for range rapid.IntRange(0, 4).Draw(rt, "patients to start with") {
				m.CreatePatient(rt)
			}
			for range rapid.IntRange(0, 2).Draw(rt, "doctors to start with") {
				m.CreateDoctor(rt)
			}
			rt.Repeat(rapid.StateMachineActions(m))
		})
	})
}

// The default bound: 8 to 30 s per engine with -race on two shared cores.
const (
	propChecks = "8"
	propSteps  = "30"
)

// defaultFlag sets a flag that neither the command line nor env set.
func defaultFlag(t *testing.T, name, env, value string) {
	t.Helper()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if _, ok := os.LookupEnv(env); set || ok {
		return
	}
	if err := flag.Set(name, value); err != nil {
		t.Fatal(err)
	}
}

// propTB hands the harness's helpers, which take a testing.TB, to rapid: a
// failure fails the case, which rapid then shrinks, not the whole test.
type propTB struct {
	testing.TB // the engine's test, for what rapid.T does not have
	rt         *rapid.T
}

func (p propTB) Helper()                         { p.rt.Helper() }
func (p propTB) Log(args ...any)                 { p.rt.Log(args...) }
func (p propTB) Logf(format string, args ...any) { p.rt.Logf(format, args...) }
func (p propTB) Error(args ...any)               { p.rt.Error(args...) }
func (p propTB) Errorf(format string, a ...any)  { p.rt.Errorf(format, a...) }
func (p propTB) Fatal(args ...any)               { p.rt.Fatal(args...) }
func (p propTB) Fatalf(format string, a ...any)  { p.rt.Fatalf(format, a...) }
func (p propTB) Fail()                           { p.rt.Fail() }
func (p propTB) FailNow()                        { p.rt.FailNow() }
func (p propTB) Failed() bool                    { return p.rt.Failed() }
func (p propTB) Skip(args ...any)                { p.rt.Skip(args...) }
func (p propTB) Skipf(format string, a ...any)   { p.rt.Skipf(format, a...) }
func (p propTB) SkipNow()                        { p.rt.SkipNow() }

// propUser is an account of the case.
type propUser struct {
	user            // ID, Username (as registered) and a valid access token
	email    string // as registered
	sessions []*propSession
	// Everything the user ever owned, and the ids of others' (or nobody's)
	// patients and assignments it named itself in a refused request: its
	// audit trail may mention these and nothing else.
	patients, assignments map[int64]bool
	probedPatients        map[int64]bool
	probedAssignments     map[int64]bool
	// Events the user must see: those of the last step, then all earlier.
	pending, events []propEvent
}

// propSession is one login's family of refresh tokens.
type propSession struct {
	tokens  []string // every refresh token issued, the current one last
	revoked bool
}

type propPatient struct {
	id      int64
	owner   *propUser
	fields  map[string]string // the writable fields, as the API returns them
	etag    string            // the current ETag, "" until an answer gave it
	stale   []string          // ETags of earlier versions
	deleted bool
}

type propDoctor struct {
	id      int64
	fields  map[string]string
	deleted bool
}

type propAssignment struct {
	id      int64
	patient *propPatient
	doctor  *propDoctor
	deleted bool
}

// propEvent is an audit event a user must see, found by its request id.
type propEvent struct {
	requestID, action, outcome string
	// actor: "self" (the user), "none" (null) or "" (not checked).
	actor string
	// Ids that must match; 0 and nil are not checked.
	objectID, patientID int64
	patientIDs          []int64
}

type propModel struct {
	e           *env // the engine's env, failing this case
	t           testing.TB
	rt          *rapid.T
	prefix      string // names this case's accounts and doctors
	users       []*propUser
	patients    []*propPatient
	doctors     []*propDoctor
	assignments []*propAssignment
	touched     map[*propUser]bool // users the last step concerned
}

func newPropModel(t *testing.T, rt *rapid.T, e *env) *propModel {
	tb := propTB{TB: t, rt: rt}
	ce := *e
	ce.t = tb
	return &propModel{e: &ce, t: tb, rt: rt, prefix: fmt.Sprintf("q%d_", e.seq.Add(1)), touched: map[*propUser]bool{}}
}

// propFold is the case-insensitive identity of a name: Unicode full case
// folding after NFKC, written out for the only characters the generators
// use where it differs from strings.ToLower.
func propFold(s string) string {
	return strings.NewReplacer("ß", "ss", "ﬁ", "fi").Replace(strings.ToLower(s))
}

// Username stems (after the case's prefix). Those in propKnownStems are
// spellings of another stem that fold alike only under full Unicode rules,
// which the server does not apply yet (known defect).
var (
	propStems      = []string{"anna1", "ANNA1", "Anna2", "bob1", "BOB1", "zoë1", "ZOË1", "straße1", "ﬁlip1", "n1@example.org", "N1@Example.ORG"}
	propKnownStems = []string{"STRASSE1", "strasse1", "FILIP1", "filip1"}
	propEmails     = []string{"m1@example.com", "M1@Example.COM", "m2@example.com", "m3@EXAMPLE.com"}
)

func (m *propModel) stems() []string {
	if propSkipped("unicode-case") {
		return propStems
	}
	return append(slices.Clip(propStems), propKnownStems...)
}

const propMissing = 9_000_000_000_000 // ids beyond any row

const preconditionBody = `{"detail": "The resource has changed since it was read (If-Match does not match).", "code": "precondition_failed"}`

// do sends r on behalf of who and logs the exchange, so that rapid's
// minimal failing case reads as a request sequence.
func (m *propModel) do(who string, r req) *response {
	m.t.Helper()
	res := m.e.do(r)
	var extra string
	if r.body != nil {
		extra = " " + string(mustJSON(r.body))
	}
	if im := r.header["If-Match"]; im != "" {
		extra += " If-Match: " + im
	}
	for _, u := range m.users {
		if r.token != "" && r.token == u.Access && u.Username != who {
			extra += " with " + u.Username + "'s token"
		}
	}
	m.rt.Logf("%s: %s %s%s → %d %.300s", who, r.method, r.path, extra, res.Status, res.Body)
	return res
}

func (m *propModel) drawUser(rt *rapid.T, label string) *propUser {
	if len(m.users) == 0 {
		rt.Skip("no users yet")
	}
	return m.users[rapid.IntRange(0, len(m.users)-1).Draw(rt, label)]
}

func (m *propModel) expectEvent(u *propUser, res *response, ev propEvent) {
	ev.requestID = res.Header.Get("X-Request-ID")
	u.pending = append(u.pending, ev)
	m.touched[u] = true
}

// --- accounts ---

// Register signs up an account: a fresh one, or one whose username or
// email another account of the case holds in some spelling.
func (m *propModel) Register(rt *rapid.T) {
	name := m.prefix + rapid.SampledFrom(m.stems()).Draw(rt, "username")
	email := m.prefix + rapid.SampledFrom(propEmails).Draw(rt, "email")
	if rapid.Bool().Draw(rt, "upper-case prefix") {
		name = strings.ToUpper(m.prefix) + strings.TrimPrefix(name, m.prefix)
	}
	if !propSkipped("email-username") && len(m.users) > 0 {
		switch rapid.SampledFrom([]string{"", "", "username is an email", "email is a username"}).Draw(rt, "cross") {
		case "username is an email":
			name = m.drawUser(rt, "whose email").email
		case "email is a username":
			if u := m.drawUser(rt, "whose username"); strings.Contains(u.Username, "@") {
				email = u.Username
			}
		}
	}
	res := m.do("anonymous", req{method: "POST", path: "/api/auth/register/", body: map[string]any{
		"username": name, "email": email, "password": strongPassword}})

	// username and email are unique case-insensitively, and since either
	// logs in, neither may equal the other field of another account.
	var nameTaken, emailTaken, nameIsEmail, emailIsName bool
	var why []string
	for _, u := range m.users {
		for _, c := range []struct {
			clash  *bool
			mine   string
			theirs string
			what   string
		}{
			{&nameTaken, name, u.Username, "the username is %s's username"},
			{&emailTaken, email, u.email, "the email is %s's email"},
			{&nameIsEmail, name, u.email, "the username is %s's email"},
			{&emailIsName, email, u.Username, "the email is %s's username"},
		} {
			if propFold(c.mine) == propFold(c.theirs) {
				*c.clash = true
				why = append(why, fmt.Sprintf(c.what, u.Username))
			}
		}
	}
	if len(why) > 0 {
		if res.Status != 400 {
			m.t.Fatalf("register %q <%s>: status %d, want 400: %s", name, email, res.Status, strings.Join(why, ", "))
		}
		body := res.Obj(m.t)
		want := map[string]string{}
		if nameTaken || nameIsEmail {
			want["username"] = "A user with that username already exists."
		}
		if emailTaken || emailIsName {
			want["email"] = "A user with that email already exists."
		}
		for field, msg := range want {
			msgs, _ := body[field].([]any)
			exact := (field == "username" && nameTaken) || (field == "email" && emailTaken)
			if len(msgs) == 0 || exact && !slices.Contains(msgs, any(msg)) {
				m.t.Errorf("register %q <%s>: %s = %v, want %q: %s", name, email, field, body[field], msg, strings.Join(why, ", "))
			}
		}
		if len(body) != len(want) {
			m.t.Errorf("register %q <%s>: errors %s, want errors on %v only", name, email, res.Body, slices.Sorted(maps.Keys(want)))
		}
		return
	}
	res.expect(m.t, 201)
	body := res.Obj(m.t)
	at := strings.LastIndexByte(email, '@')
	wantEmail := email[:at+1] + strings.ToLower(email[at+1:])
	if propFold(body["username"].(string)) != propFold(name) || body["email"] != wantEmail {
		m.t.Fatalf("registered %q <%s> as %s", name, email, res.Body)
	}
	if _, ok := body["password"]; ok {
		m.t.Errorf("register echoes the password: %s", res.Body)
	}
	u := &propUser{user: user{ID: int64(body["id"].(float64)), Username: name}, email: wantEmail,
		patients: map[int64]bool{}, assignments: map[int64]bool{},
		probedPatients: map[int64]bool{}, probedAssignments: map[int64]bool{}}
	m.users = append(m.users, u)
	m.expectEvent(u, res, propEvent{action: "auth.register", outcome: "ok", actor: "self", objectID: u.ID})
	m.login(u, name, true, "")
}

// Login logs in by username or email, in some spelling, with the right or a
// wrong password, maybe while sending some account's access token.
func (m *propModel) Login(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	var variants []string
	for _, s := range m.stems() {
		for _, prefix := range []string{m.prefix, strings.ToUpper(m.prefix)} {
			if propFold(prefix+s) == propFold(u.Username) {
				variants = append(variants, prefix+s)
			}
		}
	}
	at := strings.LastIndexByte(u.email, '@')
	variants = append(variants, u.email, strings.ToUpper(u.email[:at])+u.email[at:], strings.ToUpper(u.email))
	name := rapid.SampledFrom(variants).Draw(rt, "login")
	right := rapid.Bool().Draw(rt, "right password")
	var sender *propUser
	if rapid.Bool().Draw(rt, "with a token") {
		sender = m.drawUser(rt, "token of")
		if propSkipped("login-token") && !right && sender != u {
			sender = u
		}
	}
	m.login(u, name, right, m.tokenOf(sender))
	if !right && sender != nil && sender != u {
		// u's audit trail shows the attempt or not, depending on how the
		// sender's token is read; the sender's may show nothing of u.
		u.pending = u.pending[:len(u.pending)-1]
		m.touched[sender] = true
	}
}

func (m *propModel) tokenOf(u *propUser) string {
	if u == nil {
		return ""
	}
	return u.Access
}

// login logs u in as name; a success starts a session.
func (m *propModel) login(u *propUser, name string, right bool, token string) {
	m.t.Helper()
	pw := strongPassword
	if !right {
		pw = "wrong-" + strongPassword
	}
	res := m.do(u.Username, req{method: "POST", path: "/api/auth/login/", token: token,
		body: map[string]any{"username": name, "password": pw}})
	if !right {
		res.expectBody(m.t, 401, noActiveAccountBd)
		// The account's owner sees attempts on it.
		actor := "none"
		if token != "" {
			actor = ""
		}
		m.expectEvent(u, res, propEvent{action: "auth.login_failed", outcome: "denied", actor: actor, objectID: u.ID})
		return
	}
	if res.Status != 200 {
		m.t.Fatalf("login as %q to %s <%s> with the right password: status %d, want 200: %s", name, u.Username, u.email, res.Status, res.Body)
	}
	body := res.Obj(m.t)
	u.Access = body["access"].(string)
	u.sessions = append(u.sessions, &propSession{tokens: []string{body["refresh"].(string)}})
	m.expectEvent(u, res, propEvent{action: "auth.login", outcome: "ok", actor: "self", objectID: u.ID})
}

// LoginUnknown logs in as nobody of the case.
func (m *propModel) LoginUnknown(rt *rapid.T) {
	var token string
	if len(m.users) > 0 && rapid.Bool().Draw(rt, "with a token") {
		u := m.drawUser(rt, "token of")
		token = u.Access
		m.touched[u] = true
	}
	m.do("anonymous", req{method: "POST", path: "/api/auth/login/", token: token,
		body: map[string]any{"username": m.prefix + "ghost", "password": strongPassword}}).expectBody(m.t, 401, noActiveAccountBd)
}

func (m *propModel) drawSession(rt *rapid.T) (*propUser, *propSession) {
	u := m.drawUser(rt, "user")
	if len(u.sessions) == 0 {
		rt.Skip("no sessions")
	}
	return u, u.sessions[rapid.IntRange(0, len(u.sessions)-1).Draw(rt, "session")]
}

// Refresh presents a session's current refresh token or an earlier one. A
// revoked token is reuse: it fails and revokes the family.
func (m *propModel) Refresh(rt *rapid.T) {
	u, s := m.drawSession(rt)
	i := len(s.tokens) - 1
	if i > 0 && rapid.Bool().Draw(rt, "an earlier token") {
		i = rapid.IntRange(0, i-1).Draw(rt, "token")
	}
	res := m.do(u.Username, req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": s.tokens[i]}})
	if s.revoked || i != len(s.tokens)-1 {
		res.expectBody(m.t, 401, tokenInvalidBody)
		s.revoked = true
		m.expectEvent(u, res, propEvent{action: "auth.token_reuse", outcome: "denied", actor: "self", objectID: u.ID})
		return
	}
	body := res.expect(m.t, 200).Obj(m.t)
	s.tokens = append(s.tokens, body["refresh"].(string))
	u.Access = body["access"].(string)
	m.expectEvent(u, res, propEvent{action: "auth.refresh", outcome: "ok", actor: "self", objectID: u.ID})
}

// Logout ends a session by its current refresh token.
func (m *propModel) Logout(rt *rapid.T) {
	u, s := m.drawSession(rt)
	res := m.do(u.Username, req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": s.tokens[len(s.tokens)-1]}})
	if s.revoked {
		res.expectBody(m.t, 401, tokenInvalidBody)
		return
	}
	res.expect(m.t, 204)
	s.revoked = true
	m.expectEvent(u, res, propEvent{action: "auth.logout", outcome: "ok", actor: "self", objectID: u.ID})
}

// --- patients ---

var (
	propFirstNames = []string{"Jon", "Ann", "Zoë"}
	propLastNames  = []string{"Doe", "Smith"}
	propDOBs       = []string{"1990-01-01", "1985-06-15", "2000-02-29"}
	propNotes      = []string{"", "N/A", "allergic to penicillin"}
	// Patient emails repeat within an owner (refused) and across owners (fine).
	propPatientEmails = []string{"p1@example.com", "P1@example.com", "p2@example.com", "p3@example.com", "p4@example.com", "p5@example.com"}
)

func drawPatientField(rt *rapid.T, field string) string {
	pool := map[string][]string{"first_name": propFirstNames, "last_name": propLastNames, "email": propPatientEmails,
		"dob": propDOBs, "notes": propNotes}[field]
	return rapid.SampledFrom(pool).Draw(rt, field)
}

var propPatientFields = []string{"first_name", "last_name", "email", "dob", "notes"}

func (m *propModel) livePatients(u *propUser) []*propPatient {
	var out []*propPatient
	for _, p := range m.patients {
		if p.owner == u && !p.deleted {
			out = append(out, p)
		}
	}
	return out
}

// emailTaken reports whether another live patient of u has email.
func (m *propModel) emailTaken(u *propUser, email string, except *propPatient) bool {
	for _, p := range m.livePatients(u) {
		if p != except && propFold(p.fields["email"]) == propFold(email) {
			return true
		}
	}
	return false
}

// drawPatient draws a user and the patient id it acts on: one of its live
// patients (returned too), any patient of the case (another owner's, a
// deleted one), or an id nobody has. Those last two must look the same.
func (m *propModel) drawPatient(rt *rapid.T) (*propUser, int64, *propPatient) {
	var live []*propPatient
	for _, p := range m.patients {
		if !p.deleted {
			live = append(live, p)
		}
	}
	kind := rapid.SampledFrom([]string{"own", "own", "own", "any", "missing"}).Draw(rt, "patient")
	if kind == "own" && len(live) > 0 {
		p := live[rapid.IntRange(0, len(live)-1).Draw(rt, "own patient")]
		return p.owner, p.id, p
	}
	u := m.drawUser(rt, "user")
	if kind == "any" && len(m.patients) > 0 {
		p := m.patients[rapid.IntRange(0, len(m.patients)-1).Draw(rt, "any patient")]
		if p.owner == u && !p.deleted {
			return u, p.id, p
		}
		m.probe(u, p.id)
		m.touched[p.owner] = true // whose data must not change
		return u, p.id, nil
	}
	id := int64(propMissing + rapid.IntRange(0, 3).Draw(rt, "missing patient"))
	m.probe(u, id)
	return u, id, nil
}

func (m *propModel) probe(u *propUser, patient int64) {
	if !u.patients[patient] {
		u.probedPatients[patient] = true
	}
}

// CreatePatient creates a patient; an email another live patient of the
// same owner has, in any case, is refused.
func (m *propModel) CreatePatient(rt *rapid.T) {
	u := m.drawUser(rt, "owner")
	fields := map[string]string{}
	for _, f := range propPatientFields {
		fields[f] = drawPatientField(rt, f)
	}
	res := m.do(u.Username, req{method: "POST", path: "/api/patients/", token: u.Access, body: fields})
	if m.emailTaken(u, fields["email"], nil) {
		res.expectBody(m.t, 400, `{"email": ["patient with this email already exists."]}`)
		m.expectEvent(u, res, propEvent{action: "patient.create", outcome: "invalid", actor: "self"})
		return
	}
	p := &propPatient{owner: u, fields: fields}
	p.id = m.checkPatient(res.expect(m.t, 201), p)
	p.etag = res.Header.Get("ETag")
	m.patients = append(m.patients, p)
	u.patients[p.id] = true
	m.expectEvent(u, res, propEvent{action: "patient.create", outcome: "ok", actor: "self", objectID: p.id, patientID: p.id})
}

// checkPatient checks a patient body against the model and returns its id.
func (m *propModel) checkPatient(res *response, p *propPatient) int64 {
	m.t.Helper()
	body := res.Obj(m.t)
	id, _ := body["id"].(float64)
	if p.id != 0 && int64(id) != p.id {
		m.t.Errorf("patient %d: body has id %v", p.id, body["id"])
	}
	for _, f := range propPatientFields {
		if body[f] != p.fields[f] {
			m.t.Errorf("patient %d: %s = %v, want %q", p.id, f, body[f], p.fields[f])
		}
	}
	if _, ok := body["owner"]; ok {
		m.t.Errorf("patient %d: owner exposed: %s", p.id, res.Body)
	}
	return int64(id)
}

// ReadPatient reads one patient: u's own, or 404 exactly as for no patient.
func (m *propModel) ReadPatient(rt *rapid.T) {
	u, id, p := m.drawPatient(rt)
	res := m.do(u.Username, req{method: "GET", path: "/api/patients/" + itoa(id) + "/", token: u.Access})
	if p == nil {
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "patient.read", outcome: "not_found", actor: "self"})
		return
	}
	m.checkPatient(res.expect(m.t, 200), p)
	tag := res.Header.Get("ETag")
	if tag == "" || p.etag != "" && tag != p.etag {
		// A tag that moved without a change would refuse an editor for nothing.
		m.t.Errorf("patient %d: ETag %q, want %q as last answered", p.id, tag, p.etag)
	}
	p.etag = tag
	m.expectEvent(u, res, propEvent{action: "patient.read", outcome: "ok", actor: "self", objectID: id, patientID: id})
}

// drawIfMatch draws no If-Match, the current ETag or an earlier one.
func drawIfMatch(rt *rapid.T, p *propPatient) (header map[string]string, stale bool) {
	if p == nil {
		if rapid.Bool().Draw(rt, "If-Match") {
			return map[string]string{"If-Match": `"1"`}, false
		}
		return nil, false
	}
	kinds := []string{"none"}
	if p.etag != "" {
		kinds = append(kinds, "current")
	}
	if len(p.stale) > 0 {
		kinds = append(kinds, "stale")
	}
	switch rapid.SampledFrom(kinds).Draw(rt, "If-Match") {
	case "current":
		return map[string]string{"If-Match": p.etag}, false
	case "stale":
		return map[string]string{"If-Match": rapid.SampledFrom(p.stale).Draw(rt, "stale ETag")}, true
	}
	return nil, false
}

// UpdatePatient PUTs or PATCHes a patient, maybe with If-Match.
func (m *propModel) UpdatePatient(rt *rapid.T) {
	u, id, p := m.drawPatient(rt)
	method := rapid.SampledFrom([]string{"PUT", "PATCH"}).Draw(rt, "method")
	body := map[string]string{}
	for _, f := range propPatientFields {
		if method == "PUT" || rapid.Bool().Draw(rt, "set "+f) {
			body[f] = drawPatientField(rt, f)
		}
	}
	header, stale := drawIfMatch(rt, p)
	res := m.do(u.Username, req{method: method, path: "/api/patients/" + itoa(id) + "/", token: u.Access, body: body, header: header})
	if p == nil {
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "patient.update", outcome: "not_found", actor: "self"})
		return
	}
	email, ok := body["email"]
	clash := ok && m.emailTaken(u, email, p)
	switch {
	case stale && clash:
		// Either refusal is right; neither changes anything.
		if res.Status != 412 && res.Status != 400 {
			m.t.Fatalf("stale If-Match and a taken email: status %d, want 412 or 400: %s", res.Status, res.Body)
		}
	case stale:
		res.expectBody(m.t, 412, preconditionBody)
	case clash:
		res.expectBody(m.t, 400, `{"email": ["patient with this email already exists."]}`)
	}
	if stale || clash {
		m.expectEvent(u, res, propEvent{action: "patient.update", outcome: "invalid", actor: "self"})
		return
	}
	changed := false
	for f, v := range body {
		changed = changed || p.fields[f] != v
		p.fields[f] = v
	}
	m.checkPatient(res.expect(m.t, 200), p)
	// API.md promises an ETag on a GET only; a write may give the new one.
	tag := res.Header.Get("ETag")
	if changed && tag != "" && tag == p.etag {
		m.t.Errorf("patient %d changed but kept ETag %q: a lost update would go unnoticed", id, tag)
	}
	if p.etag != "" && (changed || tag != "" && tag != p.etag) {
		p.stale = append(p.stale, p.etag)
	}
	if changed || tag != "" {
		p.etag = tag
	}
	m.expectEvent(u, res, propEvent{action: "patient.update", outcome: "ok", actor: "self", objectID: id, patientID: id})
}

// DeletePatient deletes a patient, and with it its assignments.
func (m *propModel) DeletePatient(rt *rapid.T) {
	u, id, p := m.drawPatient(rt)
	header, stale := drawIfMatch(rt, p)
	res := m.do(u.Username, req{method: "DELETE", path: "/api/patients/" + itoa(id) + "/", token: u.Access, header: header})
	switch {
	case p == nil:
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "patient.delete", outcome: "not_found", actor: "self"})
	case stale:
		res.expectBody(m.t, 412, preconditionBody)
		m.expectEvent(u, res, propEvent{action: "patient.delete", outcome: "invalid", actor: "self"})
	default:
		res.expect(m.t, 204)
		p.deleted = true
		for _, a := range m.assignments {
			if a.patient == p {
				a.deleted = true
			}
		}
		m.expectEvent(u, res, propEvent{action: "patient.delete", outcome: "ok", actor: "self", objectID: id, patientID: id})
	}
}

// ListPatients reads one page of u's patients, maybe searched: the count
// and the ids are the model's exactly, and the links lead to the pages
// around it.
func (m *propModel) ListPatients(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	search := rapid.SampledFrom([]string{"", "", "jon", "DOE", "p1", "Zoë", "example.com", "ann smith", "nobody"}).Draw(rt, "search")
	var own []*propPatient
	for _, p := range m.livePatients(u) {
		if propMatches(search, p.fields["first_name"], p.fields["last_name"], p.fields["email"]) {
			own = append(own, p)
		}
	}
	size := rapid.IntRange(1, 4).Draw(rt, "page_size")
	pages := max(1, (len(own)+size-1)/size)
	page := rapid.IntRange(1, pages).Draw(rt, "page")
	if rapid.IntRange(0, 3).Draw(rt, "past the end") == 0 {
		page = pages + 1
	}
	q := url.Values{"page": {itoa(int64(page))}, "page_size": {itoa(int64(size))}}
	if search != "" {
		q.Set("search", search)
	}
	if rapid.Bool().Draw(rt, "ordering=-id") {
		q.Set("ordering", "-id")
		slices.Reverse(own)
	}
	query := "?" + q.Encode()
	res := m.do(u.Username, req{method: "GET", path: "/api/patients/" + query, token: u.Access})
	if page > pages {
		res.expectBody(m.t, 404, `{"detail": "Invalid page.", "code": "not_found"}`)
		m.expectEvent(u, res, propEvent{action: "patient.list", outcome: "not_found", actor: "self"})
		return
	}
	body := res.expect(m.t, 200).Obj(m.t)
	want := own[(page-1)*size : min(page*size, len(own))]
	var wantIDs, gotIDs []int64
	for _, p := range want {
		wantIDs = append(wantIDs, p.id)
	}
	for _, r := range body["results"].([]any) {
		gotIDs = append(gotIDs, int64(r.(map[string]any)["id"].(float64)))
	}
	if int(body["count"].(float64)) != len(own) || !slices.Equal(gotIDs, wantIDs) {
		m.t.Errorf("%s: count %v, ids %v; want count %d, ids %v", query, body["count"], gotIDs, len(own), wantIDs)
	}
	m.checkLink(query, body["next"], q, page+1, page < pages)
	m.checkLink(query, body["previous"], q, page-1, page > 1)
	m.expectEvent(u, res, propEvent{action: "patient.list", outcome: "ok", actor: "self", patientIDs: nonNil(wantIDs)})
}

// propMatches is ?search=: every word appears, case-insensitively, in one of
// the fields.
func propMatches(search string, fields ...string) bool {
	for _, w := range strings.Fields(search) {
		if !slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(strings.ToLower(f), strings.ToLower(w)) }) {
			return false
		}
	}
	return true
}

// checkLink checks a next or previous link: the same query on another page
// (page 1 may leave page out), or null where there is none.
func (m *propModel) checkLink(query string, link any, q url.Values, page int, exists bool) {
	m.t.Helper()
	if !exists {
		if link != nil {
			m.t.Errorf("%s: link %v, want null", query, link)
		}
		return
	}
	s, _ := link.(string)
	got, err := url.Parse(s)
	if err != nil || got.Path != "/api/patients/" {
		m.t.Errorf("%s: link %v, want one to /api/patients/", query, link)
		return
	}
	want := maps.Clone(q)
	want.Set("page", itoa(int64(page)))
	gotQ := got.Query()
	if page == 1 && !gotQ.Has("page") {
		gotQ.Set("page", "1")
	}
	if gotQ.Encode() != want.Encode() {
		m.t.Errorf("%s: link %s, want the query %s", query, s, want.Encode())
	}
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// --- doctors ---

var (
	propSpecializations = []string{"Cardiology", "Neurology", "GP"}
	propDoctorEmails    = []string{"d1@clinic.com", "D1@clinic.com", "d2@clinic.com", "d3@clinic.com", "d4@clinic.com"}
)

// drawDoctor draws a live doctor of the case (returned too), any doctor of
// the case, or an id nobody has.
func (m *propModel) drawDoctor(rt *rapid.T) (int64, *propDoctor) {
	var live []*propDoctor
	for _, d := range m.doctors {
		if !d.deleted {
			live = append(live, d)
		}
	}
	switch rapid.SampledFrom([]string{"live", "live", "any", "missing"}).Draw(rt, "doctor") {
	case "live":
		if len(live) > 0 {
			d := live[rapid.IntRange(0, len(live)-1).Draw(rt, "live doctor")]
			return d.id, d
		}
	case "any":
		if len(m.doctors) > 0 {
			d := m.doctors[rapid.IntRange(0, len(m.doctors)-1).Draw(rt, "any doctor")]
			if !d.deleted {
				return d.id, d
			}
			return d.id, nil
		}
	}
	return int64(propMissing + rapid.IntRange(0, 3).Draw(rt, "missing doctor")), nil
}

func (m *propModel) checkDoctor(res *response, d *propDoctor) int64 {
	m.t.Helper()
	body := res.Obj(m.t)
	for f, v := range d.fields {
		if body[f] != v {
			m.t.Errorf("doctor %d: %s = %v, want %q", d.id, f, body[f], v)
		}
	}
	id, _ := body["id"].(float64)
	return int64(id)
}

// CreateDoctor adds a doctor; the email is unique case-insensitively.
func (m *propModel) CreateDoctor(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	fields := map[string]string{
		"first_name": rapid.SampledFrom(propFirstNames).Draw(rt, "first_name"), "last_name": "House",
		"email":          m.prefix + rapid.SampledFrom(propDoctorEmails).Draw(rt, "email"),
		"specialization": rapid.SampledFrom(propSpecializations).Draw(rt, "specialization"),
	}
	res := m.do(u.Username, req{method: "POST", path: "/api/doctors/", token: u.Access, body: fields})
	for _, d := range m.doctors {
		if !d.deleted && propFold(d.fields["email"]) == propFold(fields["email"]) {
			res.expectBody(m.t, 400, `{"email": ["doctor with this email already exists."]}`)
			m.expectEvent(u, res, propEvent{action: "doctor.create", outcome: "invalid", actor: "self"})
			return
		}
	}
	d := &propDoctor{fields: fields}
	d.id = m.checkDoctor(res.expect(m.t, 201), d)
	m.doctors = append(m.doctors, d)
	m.expectEvent(u, res, propEvent{action: "doctor.create", outcome: "ok", actor: "self", objectID: d.id})
}

// ReadDoctor reads a doctor, with or without a token: the directory is open.
func (m *propModel) ReadDoctor(rt *rapid.T) {
	id, d := m.drawDoctor(rt)
	token, who := "", "anonymous"
	if len(m.users) > 0 && rapid.Bool().Draw(rt, "with a token") {
		u := m.drawUser(rt, "user")
		token, who = u.Access, u.Username
	}
	res := m.do(who, req{method: "GET", path: "/api/doctors/" + itoa(id) + "/", token: token})
	if d == nil {
		res.expectBody(m.t, 404, notFoundBody)
		return
	}
	m.checkDoctor(res.expect(m.t, 200), d)
}

// ListDoctors lists the case's doctors (their emails hold its prefix),
// maybe of one specialization, with or without a token.
func (m *propModel) ListDoctors(rt *rapid.T) {
	spec := rapid.SampledFrom(append([]string{"", "cardiology"}, propSpecializations...)).Draw(rt, "specialization")
	token, who := "", "anonymous"
	if len(m.users) > 0 && rapid.Bool().Draw(rt, "with a token") {
		u := m.drawUser(rt, "user")
		token, who = u.Access, u.Username
	}
	q := url.Values{"search": {m.prefix}, "page_size": {"100"}}
	if spec != "" {
		q.Set("specialization", spec)
	}
	body := m.do(who, req{method: "GET", path: "/api/doctors/?" + q.Encode(), token: token}).expect(m.t, 200).Obj(m.t)
	var want, got []int64
	for _, d := range m.doctors {
		if !d.deleted && (spec == "" || strings.EqualFold(spec, d.fields["specialization"])) {
			want = append(want, d.id)
		}
	}
	for _, r := range body["results"].([]any) {
		got = append(got, int64(r.(map[string]any)["id"].(float64)))
	}
	if int(body["count"].(float64)) != len(want) || !slices.Equal(got, want[:min(len(want), 100)]) {
		m.t.Errorf("doctors ?%s: count %v, ids %v; want %v", q.Encode(), body["count"], got, want)
	}
}

// UpdateDoctor changes a doctor's specialization.
func (m *propModel) UpdateDoctor(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	id, d := m.drawDoctor(rt)
	spec := rapid.SampledFrom(propSpecializations).Draw(rt, "specialization")
	res := m.do(u.Username, req{method: "PATCH", path: "/api/doctors/" + itoa(id) + "/", token: u.Access,
		body: map[string]any{"specialization": spec}})
	if d == nil {
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "doctor.update", outcome: "not_found", actor: "self"})
		return
	}
	d.fields["specialization"] = spec
	m.checkDoctor(res.expect(m.t, 200), d)
	m.expectEvent(u, res, propEvent{action: "doctor.update", outcome: "ok", actor: "self", objectID: id})
}

// DeleteDoctor deletes a doctor, refused while any owner's patient has it.
func (m *propModel) DeleteDoctor(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	id, d := m.drawDoctor(rt)
	res := m.do(u.Username, req{method: "DELETE", path: "/api/doctors/" + itoa(id) + "/", token: u.Access})
	if d == nil {
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "doctor.delete", outcome: "not_found", actor: "self"})
		return
	}
	for _, a := range m.assignments {
		if a.doctor == d && !a.deleted {
			res.expect(m.t, 409)
			if code := res.Obj(m.t)["code"]; code != "doctor_assigned" {
				m.t.Errorf("delete of an assigned doctor: code %v, want doctor_assigned", code)
			}
			m.expectEvent(u, res, propEvent{action: "doctor.delete", outcome: "denied", actor: "self", objectID: id})
			return
		}
	}
	res.expect(m.t, 204)
	d.deleted = true
	m.expectEvent(u, res, propEvent{action: "doctor.delete", outcome: "ok", actor: "self", objectID: id})
}

// --- assignments ---

func (m *propModel) liveAssignments(u *propUser) []*propAssignment {
	var out []*propAssignment
	for _, a := range m.assignments {
		if a.patient.owner == u && !a.deleted {
			out = append(out, a)
		}
	}
	return out
}

// Assign assigns a doctor to a patient: only u's own patient and an existing
// doctor, each pair once.
func (m *propModel) Assign(rt *rapid.T) {
	u, pid, p := m.drawPatient(rt)
	did, d := m.drawDoctor(rt)
	res := m.do(u.Username, req{method: "POST", path: "/api/mappings/", token: u.Access,
		body: map[string]any{"patient": pid, "doctor": did}})
	invalid := func(id int64) string { return `["Invalid pk \"` + itoa(id) + `\" - object does not exist."]` }
	switch {
	case p == nil && d == nil:
		res.expectBody(m.t, 400, `{"patient": `+invalid(pid)+`, "doctor": `+invalid(did)+`}`)
	case p == nil:
		res.expectBody(m.t, 400, `{"patient": `+invalid(pid)+`}`)
	case d == nil:
		res.expectBody(m.t, 400, `{"doctor": `+invalid(did)+`}`)
	}
	if p == nil || d == nil {
		m.expectEvent(u, res, propEvent{action: "assignment.create", outcome: "invalid", actor: "self"})
		return
	}
	for _, a := range m.liveAssignments(u) {
		if a.patient == p && a.doctor == d {
			res.expectBody(m.t, 400, `{"non_field_errors": ["The fields patient, doctor must make a unique set."]}`)
			m.expectEvent(u, res, propEvent{action: "assignment.create", outcome: "invalid", actor: "self"})
			return
		}
	}
	body := res.expect(m.t, 201).Obj(m.t)
	a := &propAssignment{id: int64(body["id"].(float64)), patient: p, doctor: d}
	m.checkAssignment(body, a)
	m.assignments = append(m.assignments, a)
	u.assignments[a.id] = true
	m.expectEvent(u, res, propEvent{action: "assignment.create", outcome: "ok", actor: "self", objectID: a.id, patientID: p.id})
}

func (m *propModel) checkAssignment(body map[string]any, a *propAssignment) {
	m.t.Helper()
	detail, _ := body["doctor_detail"].(map[string]any)
	if body["id"] != num(a.id) || body["patient"] != num(a.patient.id) || body["doctor"] != num(a.doctor.id) ||
		detail["id"] != num(a.doctor.id) || detail["specialization"] != a.doctor.fields["specialization"] ||
		detail["first_name"] != a.doctor.fields["first_name"] || detail["last_name"] != a.doctor.fields["last_name"] {
		m.t.Errorf("assignment %d: %v, want patient %d, doctor %v", a.id, body, a.patient.id, a.doctor.fields)
	}
}

// ListAssignments reads every assignment of u's patients.
func (m *propModel) ListAssignments(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	want := m.liveAssignments(u)
	res := m.do(u.Username, req{method: "GET", path: "/api/mappings/?page_size=100", token: u.Access})
	body := res.expect(m.t, 200).Obj(m.t)
	results := body["results"].([]any)
	if int(body["count"].(float64)) != len(want) || len(results) != min(len(want), 100) {
		m.t.Fatalf("mappings: count %v, %d results; want %d", body["count"], len(results), len(want))
	}
	var patients []int64
	for i, r := range results {
		m.checkAssignment(r.(map[string]any), want[i])
		if !slices.Contains(patients, want[i].patient.id) {
			patients = append(patients, want[i].patient.id)
		}
	}
	m.expectEvent(u, res, propEvent{action: "assignment.list", outcome: "ok", actor: "self", patientIDs: nonNil(patients)})
}

// ListPatientDoctors reads the doctors of a patient, by either route.
func (m *propModel) ListPatientDoctors(rt *rapid.T) {
	u, id, p := m.drawPatient(rt)
	path := rapid.SampledFrom([]string{"/api/mappings/%d/", "/api/patients/%d/doctors/"}).Draw(rt, "route")
	res := m.do(u.Username, req{method: "GET", path: fmt.Sprintf(path, id), token: u.Access})
	if p == nil {
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "assignment.list", outcome: "not_found", actor: "self"})
		return
	}
	var want []int64
	for _, a := range m.liveAssignments(u) {
		if a.patient == p {
			want = append(want, a.doctor.id)
		}
	}
	slices.Sort(want)
	body := res.expect(m.t, 200).Obj(m.t)
	var got []int64
	for _, r := range body["results"].([]any) {
		got = append(got, int64(r.(map[string]any)["id"].(float64)))
	}
	if int(body["count"].(float64)) != len(want) || !slices.Equal(got, want) {
		m.t.Errorf("doctors of patient %d: count %v, ids %v; want %v", id, body["count"], got, want)
	}
	m.expectEvent(u, res, propEvent{action: "assignment.list", outcome: "ok", actor: "self", objectID: id, patientID: id})
}

// Unassign deletes an assignment: only one of the user's own patients'.
func (m *propModel) Unassign(rt *rapid.T) {
	var live []*propAssignment
	for _, a := range m.assignments {
		if !a.deleted {
			live = append(live, a)
		}
	}
	var (
		u  *propUser
		a  *propAssignment
		id int64
	)
	switch kind := rapid.SampledFrom([]string{"own", "own", "any", "missing"}).Draw(rt, "assignment"); {
	case kind == "own" && len(live) > 0:
		a = live[rapid.IntRange(0, len(live)-1).Draw(rt, "own assignment")]
		u, id = a.patient.owner, a.id
	case kind == "any" && len(m.assignments) > 0:
		u = m.drawUser(rt, "user")
		a = m.assignments[rapid.IntRange(0, len(m.assignments)-1).Draw(rt, "any assignment")]
		id = a.id
		if a.patient.owner != u || a.deleted {
			m.touched[a.patient.owner] = true // whose data must not change
			a = nil
		}
	default:
		u = m.drawUser(rt, "user")
		id = int64(propMissing + rapid.IntRange(0, 3).Draw(rt, "missing assignment"))
	}
	if a == nil && !u.assignments[id] {
		u.probedAssignments[id] = true
	}
	res := m.do(u.Username, req{method: "DELETE", path: "/api/mappings/" + itoa(id) + "/", token: u.Access})
	if a == nil {
		res.expectBody(m.t, 404, notFoundBody)
		m.expectEvent(u, res, propEvent{action: "assignment.delete", outcome: "not_found", actor: "self"})
		return
	}
	res.expect(m.t, 204)
	a.deleted = true
	m.expectEvent(u, res, propEvent{action: "assignment.delete", outcome: "ok", actor: "self", objectID: id, patientID: a.patient.id})
}

// --- audit ---

// ReadAudit reads u's whole audit trail: newest first, every event the
// model expects still there unchanged, nothing about anybody else; and
// ?patient= selects exactly the events naming that patient.
func (m *propModel) ReadAudit(rt *rapid.T) {
	u := m.drawUser(rt, "user")
	m.rt.Logf("%s: GET /api/audit/ (every page)", u.Username)
	events := m.listAll(u, "/api/audit/")
	for i := 1; i < len(events); i++ {
		if events[i]["id"].(float64) >= events[i-1]["id"].(float64) {
			m.t.Errorf("audit not newest first: event %v before %v", events[i-1]["id"], events[i]["id"])
		}
	}
	m.checkAudit(u, events, u.events)
	if len(u.patients) == 0 {
		return
	}
	ids := slices.Sorted(maps.Keys(u.patients))
	p := ids[rapid.IntRange(0, len(ids)-1).Draw(rt, "?patient=")]
	var want []any
	for _, ev := range events {
		if ev["patient_id"] == num(p) || containsID(ev["patient_ids"], p) {
			want = append(want, ev["id"])
		}
	}
	var got []any
	for _, ev := range m.listAll(u, "/api/audit/?patient="+itoa(p)) {
		got = append(got, ev["id"])
	}
	if !equalJSON(got, want) {
		m.t.Errorf("?patient=%d: events %v, want %v", p, got, want)
	}
}

// listAll reads every page of a list as u.
func (m *propModel) listAll(u *propUser, path string) []map[string]any {
	m.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var out []map[string]any
	count := -1
	for page := 1; ; page++ {
		body := m.e.do(req{method: "GET", path: fmt.Sprintf("%s%spage_size=100&page=%d", path, sep, page), token: u.Access}).
			expect(m.t, 200).Obj(m.t)
		if count < 0 {
			count = int(body["count"].(float64))
		}
		for _, r := range body["results"].([]any) {
			out = append(out, r.(map[string]any))
		}
		if body["next"] == nil {
			break
		}
	}
	if len(out) != count {
		m.t.Errorf("%s: count %d, but %d results over all pages", path, count, len(out))
	}
	return out
}

// checkAudit fails if an event in want is missing from events or differs,
// or if events say anything of another user's data.
func (m *propModel) checkAudit(u *propUser, events []map[string]any, want []propEvent) {
	m.t.Helper()
	byRequest := map[string][]map[string]any{}
	for _, ev := range events {
		id, _ := ev["request_id"].(string)
		byRequest[id] = append(byRequest[id], ev)
		m.checkNoLeak(u, ev)
	}
	for _, w := range want {
		var found map[string]any
		for _, ev := range byRequest[w.requestID] {
			if ev["action"] == w.action {
				found = ev
			}
		}
		if found == nil {
			m.t.Errorf("%s's audit trail lacks %s (%s) of request %s; it has %v", u.Username, w.action, w.outcome, w.requestID, byRequest[w.requestID])
			continue
		}
		bad := found["outcome"] != w.outcome ||
			w.actor == "self" && found["actor"] != num(u.ID) || w.actor == "none" && found["actor"] != nil ||
			w.objectID != 0 && found["object_id"] != num(w.objectID) ||
			w.patientID != 0 && found["patient_id"] != num(w.patientID)
		if w.patientIDs != nil {
			got := []int64{}
			for _, id := range found["patient_ids"].([]any) {
				got = append(got, int64(id.(float64)))
			}
			bad = bad || !equalJSON(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(w.patientIDs)))
		}
		if bad {
			m.t.Errorf("%s's %s event %v, want outcome %s, actor %s, object %d, patient %d, patients %v",
				u.Username, w.action, found, w.outcome, w.actor, w.objectID, w.patientID, w.patientIDs)
		}
	}
}

// checkNoLeak fails if an event u can see names another user, or a patient
// or an assignment u never had and did not name itself in a refused request.
func (m *propModel) checkNoLeak(u *propUser, ev map[string]any) {
	m.t.Helper()
	id := func(v any) int64 {
		f, _ := v.(float64)
		return int64(f)
	}
	actor, object := id(ev["actor"]), id(ev["object_id"])
	mine := actor == u.ID
	refused := ev["outcome"] != "ok"
	switch ev["object_type"] {
	case "user":
		if object != 0 && object != u.ID {
			m.t.Errorf("%s (user %d) sees an event naming user %d: %v", u.Username, u.ID, object, ev)
		}
	case "patient":
		m.checkPatientNamed(u, object, mine, refused, ev)
	case "assignment":
		if object != 0 && !u.assignments[object] && !(mine && refused && u.probedAssignments[object]) {
			m.t.Errorf("%s sees an event naming assignment %d, not its own: %v", u.Username, object, ev)
		}
	}
	if actor != 0 && !mine && !(ev["object_type"] == "user" && object == u.ID) {
		m.t.Errorf("%s (user %d) sees an event of user %d: %v", u.Username, u.ID, actor, ev)
	}
	m.checkPatientNamed(u, id(ev["patient_id"]), mine, refused, ev)
	ids, _ := ev["patient_ids"].([]any)
	for _, p := range ids {
		m.checkPatientNamed(u, id(p), mine, refused, ev)
	}
}

func (m *propModel) checkPatientNamed(u *propUser, p int64, mine, refused bool, ev map[string]any) {
	m.t.Helper()
	if p != 0 && !u.patients[p] && !(mine && refused && u.probedPatients[p]) {
		m.t.Errorf("%s sees an event naming patient %d, not its own: %v", u.Username, p, ev)
	}
}

// Check runs after every step: for each user the step concerned (the actor,
// and the owner of another's patient it tried), its newest audit events
// hold the step's events and nothing of anybody else, and its patients and
// assignments are the model's, all of them, unchanged by anybody else.
func (m *propModel) Check(rt *rapid.T) {
	for _, u := range m.users {
		if !m.touched[u] {
			continue
		}
		// The step's events are the newest; ReadAudit reads the rest.
		newest := m.e.do(req{method: "GET", path: "/api/audit/?page_size=10", token: u.Access}).expect(m.t, 200).Obj(m.t)
		var events []map[string]any
		for _, ev := range newest["results"].([]any) {
			events = append(events, ev.(map[string]any))
		}
		m.checkAudit(u, events, u.pending)
		u.events = append(u.events, u.pending...)
		u.pending = nil

		own := m.livePatients(u)
		list := m.listAll(u, "/api/patients/")
		emails := map[string]bool{}
		for i, r := range list {
			if i < len(own) {
				m.checkPatient(&response{Body: mustJSON(r)}, own[i])
			}
			key := propFold(r["email"].(string))
			if emails[key] {
				m.t.Errorf("%s has two patients with email %s", u.Username, key)
			}
			emails[key] = true
		}
		if len(list) != len(own) {
			m.t.Errorf("%s has %d patients, want %d", u.Username, len(list), len(own))
		}
		var want, got []int64
		for _, a := range m.liveAssignments(u) {
			want = append(want, a.id)
		}
		for _, r := range m.listAll(u, "/api/mappings/") {
			got = append(got, int64(r["id"].(float64)))
		}
		if !slices.Equal(got, want) {
			m.t.Errorf("%s's assignments: %v, want %v", u.Username, got, want)
		}
	}
	clear(m.touched)
}
