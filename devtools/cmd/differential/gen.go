package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
)

// gen writes request sequences from a seed. Slots and user numbers are
// unique over the whole run, so one target state serves every sequence.
type gen struct {
	r        *rand.Rand
	run      string // a tag unique to the run, in every name and email
	seq      int
	nextSlot int
	nextUser int

	steps []step
	users []int               // registered and logged in, this sequence
	owner map[string]int      // patient slot -> owner
	pats  []string            // patient slots of this sequence
	docs  []string            // doctor slots of this sequence
	maps  []string            // assignment slots of this sequence
	pairs map[string][]string // doctor slot -> assignment slots
	email map[string]string   // patient slot -> email
}

func newGen(seed uint64, run string) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), run: run}
}

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pickOf[T any](g *gen, xs []T) T { return xs[g.pick(len(xs))] }

func (g *gen) slot(kind string) string {
	g.nextSlot++
	return fmt.Sprintf("%s%d", kind, g.nextSlot)
}

func (g *gen) add(s step) { g.steps = append(g.steps, s) }

// sequence writes sequence n: a few accounts, then random requests.
func (g *gen) sequence(n, length int) []step {
	g.seq = n
	g.steps = nil
	g.users, g.pats, g.docs, g.maps = nil, nil, nil, nil
	g.owner, g.pairs, g.email = map[string]int{}, map[string][]string{}, map[string]string{}
	for i := 0; i < 2+g.pick(2); i++ {
		g.newUser()
	}
	// Every sequence has something to point at.
	g.createPatient(true)
	g.createDoctor(true)
	if n == 0 {
		g.tour()
	}
	for len(g.steps) < length {
		pickOf(g, g.ops())()
	}
	// The run's doctors, the one state every sequence shares: a difference
	// left behind shows here, in the sequence that left it.
	g.add(step{Method: "GET", Path: "/api/doctors/", Route: "/api/doctors/", Query: "page_size=100&search=" + g.run, Tags: []string{"state-check"}})
	return g.steps
}

func (g *gen) ops() []func() {
	return []func(){
		func() { g.createPatient(g.chance(0.6)) },
		func() { g.createPatient(g.chance(0.6)) },
		func() { g.createDoctor(g.chance(0.6)) },
		g.createMapping, g.createMapping,
		g.getOne, g.getOne,
		g.update, g.update, g.update,
		g.deleteOne,
		g.list, g.list, g.list,
		g.badAuth, g.badAuth,
		g.refresh,
		g.login,
		g.register,
		g.anyRouteAnyMethod, g.anyRouteAnyMethod,
		g.slashless,
		g.badBody,
		g.badPathID,
		g.unknownURL,
		g.extraRoute,
		g.crossOwnerEmail,
		g.deleteAssignedDoctor,
		g.staleIfMatch,
		g.refreshReuse,
		g.loginByEmail,
		g.registerCaseVariant,
		func() { g.newUser() },
		g.accept,
		g.registerVariant,
	}
}

// accept sends the Accept headers clients send: DRF negotiates the
// renderer (JSON only in the design) from it.
func (g *gen) accept() {
	route := pickOf(g, []string{"/api/doctors/", "/api/patients/", "/api/auth/login/"})
	s := step{Method: "GET", Path: route, Route: route, Auth: fmt.Sprintf("user:%d", g.user()),
		Headers: map[string]string{"Accept": pickOf(g, []string{"application/json", "*/*", "text/html", "application/xml",
			"application/json; indent=4", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/*", "text/plain"})}}
	if route == "/api/auth/login/" {
		u := g.user()
		s.Method, s.Auth, s.BodyKind = "POST", "", "json"
		s.Body = []field{{"username", g.username(u)}, {"password", "wrong-password"}}
	}
	g.add(s)
}

// registerVariant registers valid accounts of other shapes: a Unicode
// name, an email with capitals, the names ours also take.
func (g *gen) registerVariant() {
	u := g.spareUser()
	name, email := g.username(u), g.userEmail(u)
	switch g.pick(3) {
	case 0:
		name = "Zoë" + name
	case 1:
		email = fmt.Sprintf("MixedCase%d.%s@Example.COM", u, g.run)
	}
	g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: g.bodyKind(),
		Body: []field{{"username", name}, {"email", email}, {"password", password(u)}}})
}

// tour makes sure the first sequence touches each deliberate difference
// at least once, so that every rule of the allow-list is exercised.
func (g *gen) tour() {
	g.createMapping()
	g.assignedDoctorsFilter()
	g.crossOwnerEmail()
	g.deleteAssignedDoctor()
	g.staleIfMatch()
	g.refreshReuse()
	g.loginByEmail()
	g.registerCaseVariant()
	g.unknownURL()
	g.extraRoute()
	g.slashless()
	g.badBody()
	g.tooLarge()
	g.options()
	g.passwordRules()
	g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: "json"})
	g.add(step{Method: "GET", Path: "/api/patients/", Route: "/api/patients/", Auth: "raw:Bearer a.b.c"})
	g.add(step{Method: "GET", Path: "/api/patients/", Route: "/api/patients/", Auth: "raw:Bearer"})
	g.add(step{Method: "GET", Path: "/api/patients/", Route: "/api/patients/", Auth: "raw:Bearer a b"})
	g.add(step{Method: "GET", Path: "/api/doctors/", Route: "/api/doctors/", Query: "page=0"})
	g.add(step{Method: "GET", Path: "/api/doctors/", Route: "/api/doctors/", Query: "page=abc"})
	g.add(step{Method: "GET", Path: "/api/doctors/", Route: "/api/doctors/", Query: "ordering=nosuch"})
	u := g.user()
	g.add(step{Method: "POST", Path: "/api/auth/login/", Route: "/api/auth/login/", BodyKind: "form",
		Body: []field{{"username", g.username(u)}, {"password", password(u)}}, LoginUser: u})
}

// assignedDoctorsFilter makes an assignment for certain and searches the
// patient's doctors for nothing.
func (g *gen) assignedDoctorsFilter() {
	u := g.user()
	auth := fmt.Sprintf("user:%d", u)
	p, d, m := g.slot("p"), g.slot("d"), g.slot("m")
	g.add(step{Method: "POST", Path: "/api/patients/", Route: "/api/patients/", Auth: auth, BodyKind: "json",
		Body: g.patientFields(), Creates: p})
	g.owner[p] = u
	g.pats = append(g.pats, p)
	g.add(step{Method: "POST", Path: "/api/doctors/", Route: "/api/doctors/", Auth: auth, BodyKind: "json",
		Body: g.doctorFields(), Creates: d})
	g.docs = append(g.docs, d)
	g.add(step{Method: "POST", Path: "/api/mappings/", Route: "/api/mappings/", Auth: auth, BodyKind: "json",
		Body: []field{{"patient", ref{Slot: p}}, {"doctor", ref{Slot: d}}}, Creates: m})
	g.maps = append(g.maps, m)
	g.pairs[d] = append(g.pairs[d], m)
	g.add(tagQuery(step{Method: "GET", Path: "/api/mappings/{" + p + "}/", Route: "/api/mappings/{id}/", Auth: auth, Query: "search=nothing-matches"}))
}

// Accounts.

func (g *gen) username(u int) string { return fmt.Sprintf("u%s%d", g.run, u) }

func (g *gen) userEmail(u int) string { return fmt.Sprintf("user%d.%s@example.com", u, g.run) }

func password(u int) string { return fmt.Sprintf("Kx7!pasture-%d-Quill", u) }

func (g *gen) user() int {
	if len(g.users) == 0 {
		return g.newUser()
	}
	return pickOf(g, g.users)
}

func (g *gen) bodyKind() string {
	switch g.pick(10) {
	case 0:
		return "form"
	case 1:
		return "multipart"
	}
	return "json"
}

func (g *gen) newUser() int {
	g.nextUser++
	u := g.nextUser
	g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: g.bodyKind(),
		Body:    []field{{"username", g.username(u)}, {"email", g.userEmail(u)}, {"password", password(u)}},
		Creates: fmt.Sprintf("u%d", u)})
	g.add(step{Method: "POST", Path: "/api/auth/login/", Route: "/api/auth/login/", BodyKind: g.bodyKind(),
		Body: []field{{"username", g.username(u)}, {"password", password(u)}}, LoginUser: u})
	g.users = append(g.users, u)
	return u
}

// spareUser numbers an account that is not kept (its registration may
// succeed on one design only), never twice in a run.
func (g *gen) spareUser() int {
	g.nextUser++
	return g.nextUser + 100000
}

func (g *gen) register() {
	u := g.spareUser()
	fields := []field{{"username", g.username(u)}, {"email", g.userEmail(u)}, {"password", password(u)}}
	switch g.pick(8) {
	case 0:
		fields = dropField(fields, pickOf(g, []string{"username", "email", "password"}))
	case 1:
		fields = setField(fields, "email", g.badEmail())
	case 2:
		fields = setField(fields, "username", pickOf(g, []any{"", "bad name", "x!y", strings.Repeat("a", 151), nil, 5, true}))
	case 3:
		fields = setField(fields, "password", pickOf(g, badPasswords))
	case 4: // an existing account's name
		fields = setField(fields, "username", g.username(g.user()))
	case 5:
		fields = setField(fields, "password", pickOf(g, []any{nil, "", 12345678, true}))
	case 6:
		fields = nil
	default:
		fields = setField(fields, "username", g.username(u)+"+"+pickOf(g, []string{"a", "b.c", "@x", "-_"}))
		fields = setField(fields, "password", pickOf(g, badPasswords))
	}
	g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: g.bodyKind(), Body: fields})
}

var badEmails = []any{"not-an-email", "a@b", "", nil, 5, "a@b..com", strings.Repeat("x", 250) + "@e.com", "two@@at.com", "spaced"}

// badEmail is an email to refuse, or one with spaces around it, which
// both designs trim and take: a new one each time, since nobody must hold
// it already (the designs' uniqueness rules differ).
func (g *gen) badEmail() any {
	e := pickOf(g, badEmails)
	if e == "spaced" {
		g.nextSlot++
		return fmt.Sprintf(" spaced%d.%s@example.com ", g.nextSlot, g.run)
	}
	return e
}

var badPasswords = []any{"short", "12345678", "password", "passw0rd", "Kx7!", "987654321012", "qwertyuiop"}

func (g *gen) passwordRules() {
	u := g.spareUser()
	for _, p := range []any{"short", "12345678", "password", g.username(u) + "1", "éééééé", "Kx7!Kx7!"} {
		g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: "json",
			Body: []field{{"username", g.username(u)}, {"email", g.userEmail(u)}, {"password", p}}})
	}
}

func (g *gen) login() {
	u := g.user()
	fields := []field{{"username", g.username(u)}, {"password", password(u)}}
	store := 0
	switch g.pick(6) {
	case 0:
		fields = setField(fields, "password", "wrong-password")
	case 1:
		fields = setField(fields, "username", "nosuch"+g.run)
	case 2:
		fields = dropField(fields, pickOf(g, []string{"username", "password"}))
	case 3:
		fields = setField(fields, pickOf(g, []string{"username", "password"}), pickOf(g, []any{nil, "", 5, true}))
	default:
		store = u
	}
	g.add(step{Method: "POST", Path: "/api/auth/login/", Route: "/api/auth/login/", BodyKind: g.bodyKind(), Body: fields, LoginUser: store})
}

func (g *gen) refresh() {
	u := g.user()
	var s step
	switch g.pick(6) {
	case 0:
		s = step{Body: []field{{"refresh", "a.b.c"}}}
	case 1:
		s = step{Body: []field{{"refresh", tokenRef{u, "access"}}}}
	case 2:
		s = step{Body: []field{{"refresh", pickOf(g, []any{nil, "", 5})}}}
	case 3:
		s = step{}
	default:
		s = step{Body: []field{{"refresh", tokenRef{u, "refresh"}}}, RefreshUser: u}
	}
	s.Method, s.Path, s.Route, s.BodyKind = "POST", "/api/auth/refresh/", "/api/auth/refresh/", g.bodyKind()
	g.add(s)
}

// refreshReuse presents a refresh token that a refresh has replaced: ours
// revoke the family (rotation, reuse detection); simplejwt's default has
// no rotation. The account then logs in again.
func (g *gen) refreshReuse() {
	u := g.user()
	g.add(step{Method: "POST", Path: "/api/auth/refresh/", Route: "/api/auth/refresh/", BodyKind: "json",
		Body: []field{{"refresh", tokenRef{u, "refresh"}}}, RefreshUser: u})
	g.add(step{Method: "POST", Path: "/api/auth/refresh/", Route: "/api/auth/refresh/", BodyKind: "json",
		Body: []field{{"refresh", tokenRef{u, "previous"}}}, Tags: []string{"refresh-reuse"}})
	g.add(step{Method: "POST", Path: "/api/auth/login/", Route: "/api/auth/login/", BodyKind: "json",
		Body: []field{{"username", g.username(u)}, {"password", password(u)}}, LoginUser: u})
}

func (g *gen) loginByEmail() {
	u := g.user()
	g.add(step{Method: "POST", Path: "/api/auth/login/", Route: "/api/auth/login/", BodyKind: "json",
		Body: []field{{"username", g.userEmail(u)}, {"password", password(u)}}, Tags: []string{"login-by-email"}})
}

// registerCaseVariant registers a name or an email that differs from an
// existing account's only in case: unique case-insensitively here.
func (g *gen) registerCaseVariant() {
	u := g.user()
	v := g.spareUser()
	if g.chance(0.5) {
		g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: "json",
			Body: []field{{"username", strings.ToUpper(g.username(u))}, {"email", g.userEmail(v)}, {"password", password(v)}},
			Tags: []string{"username-case"}})
	} else {
		g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: "json",
			Body: []field{{"username", g.username(v)}, {"email", strings.ToUpper(g.userEmail(u))}, {"password", password(v)}},
			Tags: []string{"email-taken"}})
	}
}

// Field values.

func dropField(fs []field, name string) []field {
	out := []field{}
	for _, f := range fs {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

func setField(fs []field, name string, v any) []field {
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, field{name, v})
}

var firstNames = []string{"Alice", "Bruno", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana"}
var lastNames = []string{"Smith", "Okafor", "Novak", "Lindqvist", "Moreau", "Tanaka"}
var specs = []string{"Cardiology", "Dermatology", "Neurology", "Oncology"}

var badChars = []any{"", "   ", strings.Repeat("x", 101), nil, true, []any{"a"}, map[string]any{"a": 1}}
var goodChars = []any{strings.Repeat("y", 100), 42, " Padded ", "Émilie"}
var badDates = []any{"1990-13-01", "01/02/1990", "2999-01-01", "", nil, 19900101, "1990-02-30", "1990-01-01T00:00:00", "1990-1-1", true}
var badNotes = []any{nil, 7, true, []any{"x"}}

func (g *gen) name(list []string) any {
	if g.chance(0.1) {
		return pickOf(g, goodChars)
	}
	return pickOf(g, list)
}

func (g *gen) mail(kind string) string {
	g.nextSlot++
	return fmt.Sprintf("%s%d.%s@example.com", kind, g.nextSlot, g.run)
}

func (g *gen) dob() string {
	return fmt.Sprintf("%04d-%02d-%02d", 1940+g.pick(80), 1+g.pick(12), 1+g.pick(28))
}

func (g *gen) patientFields() []field {
	return []field{{"first_name", g.name(firstNames)}, {"last_name", g.name(lastNames)},
		{"email", g.mail("pat")}, {"dob", g.dob()}, {"notes", pickOf(g, []any{"", "N/A", "allergic to penicillin"})}}
}

func (g *gen) doctorFields() []field {
	return []field{{"first_name", g.name(firstNames)}, {"last_name", g.name(lastNames)},
		{"email", g.mail("doc")}, {"specialization", g.name(specs)}}
}

// spoil makes one field of fs invalid (or drops it, or adds read-only
// and unknown fields, which must be ignored).
func (g *gen) spoil(fs []field) []field {
	f := fs[g.pick(len(fs))]
	switch g.pick(6) {
	case 0:
		return dropField(fs, f.Name)
	case 1:
		return append(fs, field{"id", 5}, field{"created_at", "2000-01-01T00:00:00Z"}, field{"owner", 1}, field{"unknown", "x"})
	}
	switch f.Name {
	case "email":
		return setField(fs, "email", g.badEmail())
	case "dob":
		return setField(fs, "dob", pickOf(g, badDates))
	case "notes":
		return setField(fs, "notes", pickOf(g, badNotes))
	}
	return setField(fs, f.Name, pickOf(g, badChars))
}

// formable drops values a form cannot carry as such (lists, objects,
// booleans, null), since a form sends strings only.
func formable(fs []field) []field {
	out := []field{}
	for _, f := range fs {
		switch f.Value.(type) {
		case []any, map[string]any, bool, nil:
			continue
		}
		out = append(out, f)
	}
	return out
}

func (g *gen) withBody(s step, fs []field) step {
	s.BodyKind = g.bodyKind()
	if s.BodyKind != "json" {
		fs = formable(fs)
	}
	s.Body = fs
	return s
}

// Patients, doctors, assignments.

func (g *gen) createPatient(valid bool) {
	u := g.user()
	fs := g.patientFields()
	s := step{Method: "POST", Path: "/api/patients/", Route: "/api/patients/", Auth: fmt.Sprintf("user:%d", u)}
	if valid {
		slot := g.slot("p")
		s.Creates = slot
		g.pats = append(g.pats, slot)
		g.owner[slot] = u
		for _, f := range fs {
			if f.Name == "email" {
				g.email[slot] = f.Value.(string)
			}
		}
	} else {
		fs = g.spoil(fs)
		if live := g.livePatients(); g.chance(0.3) && len(live) > 0 { // an email the owner already holds
			p := pickOf(g, live)
			s.Auth = fmt.Sprintf("user:%d", g.owner[p])
			fs = setField(fs, "email", g.email[p])
		}
	}
	g.add(g.withBody(s, fs))
}

// crossOwnerEmail: two owners each hold a record of the same person.
// The Django design's patient email is unique over all owners.
func (g *gen) crossOwnerEmail() {
	live := g.livePatients()
	if len(live) == 0 || len(g.users) < 2 {
		return
	}
	p := pickOf(g, live)
	other := g.users[0]
	if other == g.owner[p] {
		other = g.users[1]
	}
	fs := g.patientFields()
	fs = setField(fs, "email", g.email[p])
	slot := g.slot("p")
	g.add(step{Method: "POST", Path: "/api/patients/", Route: "/api/patients/", Auth: fmt.Sprintf("user:%d", other),
		BodyKind: "json", Body: fs, Creates: slot, Tags: []string{"cross-owner-email"},
		Sync: []step{{Method: "DELETE", Path: "/api/patients/{" + slot + "}/", Route: "/api/patients/{id}/", Auth: fmt.Sprintf("user:%d", other)}}})
}

// livePatients are the patients not deleted, whose emails their owners
// certainly hold.
func (g *gen) livePatients() []string {
	var live []string
	for _, p := range g.pats {
		if g.email[p] != "" {
			live = append(live, p)
		}
	}
	return live
}

func (g *gen) createDoctor(valid bool) {
	fs := g.doctorFields()
	s := step{Method: "POST", Path: "/api/doctors/", Route: "/api/doctors/", Auth: fmt.Sprintf("user:%d", g.user())}
	if valid {
		slot := g.slot("d")
		s.Creates = slot
		g.docs = append(g.docs, slot)
	} else {
		fs = g.spoil(fs)
		if g.chance(0.2) {
			s.Auth = ""
		}
	}
	g.add(g.withBody(s, fs))
}

func (g *gen) patientRef() (any, int) {
	if len(g.pats) == 0 || g.chance(0.15) {
		return pickOf(g, []any{ref{Slot: "p0"}, "abc", nil, true, 1.5, -1, []any{1}}), g.user()
	}
	p := pickOf(g, g.pats)
	owner := g.owner[p]
	if g.chance(0.15) && len(g.users) > 1 { // someone else's
		for _, u := range g.users {
			if u != owner {
				owner = u
				break
			}
		}
	}
	return ref{Slot: p, AsString: g.chance(0.2)}, owner
}

func (g *gen) createMapping() {
	if len(g.docs) == 0 {
		g.createDoctor(true)
	}
	if len(g.pats) == 0 {
		g.createPatient(true)
	}
	pat, u := g.patientRef()
	var doc any = ref{Slot: pickOf(g, g.docs), AsString: g.chance(0.2)}
	if g.chance(0.1) {
		doc = pickOf(g, []any{ref{Slot: "d0"}, "abc", nil})
	}
	fs := []field{{"patient", pat}, {"doctor", doc}}
	if g.chance(0.1) {
		fs = dropField(fs, pickOf(g, []string{"patient", "doctor"}))
	}
	s := step{Method: "POST", Path: "/api/mappings/", Route: "/api/mappings/", Auth: fmt.Sprintf("user:%d", u)}
	pr, pok := pat.(ref)
	dr, dok := doc.(ref)
	if pok && dok && pr.Slot != "p0" && dr.Slot != "d0" && len(fs) == 2 && g.owner[pr.Slot] == u {
		// Perhaps made already: then both answer 400 and the slot stays empty.
		slot := g.slot("m")
		s.Creates = slot
		g.maps = append(g.maps, slot)
		g.pairs[dr.Slot] = append(g.pairs[dr.Slot], slot)
	}
	g.add(g.withBody(s, fs))
}

// deleteAssignedDoctor: ours refuse (409 doctor_assigned) where the Django
// design cascades; ours then remove the assignments and the doctor, as
// the design did.
func (g *gen) deleteAssignedDoctor() {
	for d, ms := range g.pairs {
		if len(ms) == 0 {
			continue
		}
		var sync []step
		for _, m := range ms {
			sync = append(sync, step{Method: "DELETE", Path: "/api/mappings/{" + m + "}/", Route: "/api/mappings/{id}/", Auth: g.mappingOwner(m)})
		}
		sync = append(sync, step{Method: "DELETE", Path: "/api/doctors/{" + d + "}/", Route: "/api/doctors/{id}/", Auth: fmt.Sprintf("user:%d", g.user())})
		g.add(step{Method: "DELETE", Path: "/api/doctors/{" + d + "}/", Route: "/api/doctors/{id}/", Auth: fmt.Sprintf("user:%d", g.user()),
			Tags: []string{"doctor-assigned"}, Sync: sync})
		delete(g.pairs, d)
		return
	}
}

func (g *gen) mappingOwner(m string) string {
	// Assignments are made by their patient's owner; any of this
	// sequence's users who made one is found by trying each.
	for _, s := range g.steps {
		if s.Creates == m {
			return s.Auth
		}
	}
	return fmt.Sprintf("user:%d", g.user())
}

// staleIfMatch sends an If-Match that no longer matches: ours answer 412;
// the Django design has no ETags and applies the change, which ours then
// apply too.
func (g *gen) staleIfMatch() {
	if len(g.pats) == 0 {
		return
	}
	p := pickOf(g, g.pats)
	auth := fmt.Sprintf("user:%d", g.owner[p])
	s := step{Method: "PATCH", Path: "/api/patients/{" + p + "}/", Route: "/api/patients/{id}/", Auth: auth,
		BodyKind: "json", Body: []field{{"notes", "changed under If-Match"}}, Headers: map[string]string{"If-Match": `"999999"`},
		Tags: []string{"if-match"}}
	sync := s
	sync.Headers, sync.Tags = nil, nil
	s.Sync = []step{sync}
	g.add(s)
}

func (g *gen) idPath(kind string) (string, string, string) {
	var slots []string
	route := map[string]string{"p": "/api/patients/{id}/", "d": "/api/doctors/{id}/", "m": "/api/mappings/{id}/"}[kind]
	switch kind {
	case "p":
		slots = g.pats
	case "d":
		slots = g.docs
	case "m":
		slots = g.maps
	}
	auth := fmt.Sprintf("user:%d", g.user())
	slot := kind + "0"
	if len(slots) > 0 && !g.chance(0.1) {
		slot = pickOf(g, slots)
		if kind == "p" && !g.chance(0.15) {
			auth = fmt.Sprintf("user:%d", g.owner[slot])
		}
	}
	if kind == "m" && g.chance(0.5) && len(g.pats) > 0 { // GET /mappings/{patient}/
		slot = pickOf(g, g.pats)
		auth = fmt.Sprintf("user:%d", g.owner[slot])
	}
	if g.chance(0.08) {
		auth = ""
	}
	return strings.Replace(route, "{id}", "{"+slot+"}", 1), route, auth
}

func (g *gen) getOne() {
	kind := pickOf(g, []string{"p", "d", "m"})
	path, route, auth := g.idPath(kind)
	if kind == "m" {
		path = strings.Replace(path, "{m", "{p", 1)
	}
	s := step{Method: "GET", Path: path, Route: route, Auth: auth, Query: g.listQuery(kind == "m")}
	g.add(tagQuery(s))
}

// tagQuery marks the query parameters that our server reads and the
// Django design ignores.
func tagQuery(s step) step {
	q, _ := url.ParseQuery(s.Query)
	if q.Has("specialization") {
		s.Tags = append(s.Tags, "specialization-filter")
	}
	if s.Route == "/api/mappings/{id}/" && (q.Has("search") || q.Has("ordering") || q.Has("specialization")) {
		s.Tags = append(s.Tags, "assigned-doctors-filter")
	}
	if (s.Route == "/api/patients/{id}/" || s.Route == "/api/doctors/{id}/") && q.Get("search") != "" {
		s.Tags = append(s.Tags, "detail-search")
	}
	return s
}

func (g *gen) update() {
	kind := pickOf(g, []string{"p", "d"})
	path, route, auth := g.idPath(kind)
	fs := g.patientFields()
	if kind == "d" {
		fs = g.doctorFields()
	}
	method := pickOf(g, []string{"PUT", "PATCH"})
	if method == "PATCH" {
		n := 1 + g.pick(len(fs))
		g.r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		fs = fs[:n]
	}
	if g.chance(0.5) {
		fs = g.spoil(fs)
	}
	if slot := strings.Trim(strings.TrimPrefix(path, "/api/patients/"), "{}/"); kind == "p" && g.email[slot] != "" {
		// A patient keeps its email, so that g.email stays true whether or
		// not the update is applied: the uniqueness rules differ.
		for i, f := range fs {
			if e, ok := f.Value.(string); ok && f.Name == "email" && strings.Contains(e, "@example.com") {
				fs[i].Value = g.email[slot]
			}
		}
	}
	g.add(g.withBody(step{Method: method, Path: path, Route: route, Auth: auth}, fs))
}

func (g *gen) deleteOne() {
	kind := pickOf(g, []string{"p", "d", "m", "m"})
	path, route, auth := g.idPath(kind)
	if kind == "d" { // an assigned doctor is deleteAssignedDoctor's
		slot := strings.Trim(strings.TrimPrefix(path, "/api/doctors/"), "{}/")
		if len(g.pairs[slot]) > 0 {
			return
		}
	}
	// What the delete removes is forgotten only when it certainly goes:
	// the owner asks for it.
	if kind == "m" {
		slot := strings.Trim(strings.TrimPrefix(path, "/api/mappings/"), "{}/")
		if strings.HasPrefix(slot, "p") {
			// A patient's id as an assignment's would name another
			// assignment, or none, on each design as it happens.
			if len(g.maps) == 0 {
				return
			}
			slot = pickOf(g, g.maps)
			path = "/api/mappings/{" + slot + "}/"
		}
		if owner := g.mappingOwner(slot); g.chance(0.85) || auth == owner {
			auth = owner
			for d, ms := range g.pairs {
				g.pairs[d] = remove(ms, slot)
			}
			g.maps = remove(g.maps, slot)
		}
	}
	if slot := strings.Trim(strings.TrimPrefix(path, "/api/patients/"), "{}/"); kind == "p" && auth == fmt.Sprintf("user:%d", g.owner[slot]) {
		delete(g.email, slot)
		// Its assignments go with it, on both designs.
		for _, s := range g.steps {
			if s.Creates != "" && s.Creates[0] == 'm' && len(s.Body) > 0 {
				if r, ok := s.Body[0].Value.(ref); ok && r.Slot == slot {
					for d, ms := range g.pairs {
						g.pairs[d] = remove(ms, s.Creates)
					}
				}
			}
		}
	}
	g.add(step{Method: "DELETE", Path: path, Route: route, Auth: auth})
}

func remove(xs []string, x string) []string {
	out := xs[:0:0]
	for _, y := range xs {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}

// Lists.

func (g *gen) listQuery(doctorFields bool) string {
	q := url.Values{}
	if g.chance(0.3) {
		q.Set("page", pickOf(g, []string{"1", "2", "3", "0", "-1", "abc", "last", "99", " 2", "+1", "1.0", ""}))
	}
	paged := false
	if g.chance(0.3) {
		q.Set("page_size", pickOf(g, []string{"1", "2", "3", "100", "101", "0", "-5", "abc", ""}))
		paged = true
	}
	if g.chance(0.3) {
		terms := []string{g.run, "Alice", "smith", "cardio", "a", "zzz", "example.com", "Alice Smith", "Alice,Smith", "ALI"}
		q.Set("search", pickOf(g, terms))
	}
	if g.chance(0.3) {
		unique := []string{"id", "-id", "email", "-email", "created_at", "-created_at", "nosuch", "-nosuch", "id,nosuch"}
		tied := []string{"first_name", "-last_name", "dob", "specialization", "first_name,-id", "patient", "doctor"}
		if paged {
			q.Set("ordering", pickOf(g, unique))
		} else {
			q.Set("ordering", pickOf(g, append(unique, tied...)))
		}
	}
	if doctorFields && g.chance(0.2) {
		q.Set("specialization", pickOf(g, specs))
	}
	return q.Encode()
}

func (g *gen) list() {
	u := g.user()
	switch g.pick(4) {
	case 0:
		g.add(step{Method: "GET", Path: "/api/patients/", Route: "/api/patients/", Auth: fmt.Sprintf("user:%d", u), Query: g.listQuery(false)})
	case 1:
		auth := ""
		if g.chance(0.5) {
			auth = fmt.Sprintf("user:%d", u)
		}
		q := g.listQuery(true)
		if g.chance(0.7) { // this run's doctors only: the directory is shared by every sequence
			v, _ := url.ParseQuery(q)
			if v.Get("search") == "" {
				v.Set("search", g.run)
			}
			q = v.Encode()
		}
		g.add(tagQuery(step{Method: "GET", Path: "/api/doctors/", Route: "/api/doctors/", Auth: auth, Query: q}))
	case 2:
		g.add(step{Method: "GET", Path: "/api/mappings/", Route: "/api/mappings/", Auth: fmt.Sprintf("user:%d", u), Query: g.listQuery(false)})
	default:
		g.getOne()
	}
}

// Hostile and odd requests.

var badAuthHeaders = []string{"Bearer a.b.c", "Bearer", "Bearer a b", "Bearer  ", "Token abc", "Basic Zm9vOmJhcg==",
	"bearer x.y.z", "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ.", "JWT a.b.c", ""}

func (g *gen) badAuth() {
	routes := [][2]string{{"GET", "/api/patients/"}, {"GET", "/api/doctors/"}, {"POST", "/api/doctors/"}, {"GET", "/api/mappings/"},
		{"POST", "/api/auth/login/"}, {"POST", "/api/auth/refresh/"}, {"POST", "/api/auth/register/"}}
	r := pickOf(g, routes)
	s := step{Method: r[0], Path: r[1], Route: r[1]}
	u := g.user()
	switch g.pick(4) {
	case 0:
		s.Auth = fmt.Sprintf("refresh:%d", u) // a refresh token is no access token
	case 1:
		s.Auth = "raw:Bearer " + "x" + fmt.Sprint(u) + ".bad.signature"
	default:
		s.Auth = "raw:" + pickOf(g, badAuthHeaders)
	}
	if r[0] == "POST" {
		s.BodyKind, s.Body = "json", []field{}
	}
	g.add(s)
}

var allRoutes = []string{"/api/", "/api/auth/register/", "/api/auth/login/", "/api/auth/refresh/", "/api/patients/", "/api/patients/{id}/",
	"/api/doctors/", "/api/doctors/{id}/", "/api/mappings/", "/api/mappings/{id}/"}

var allMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func (g *gen) routePath(route string) (string, string) {
	auth := fmt.Sprintf("user:%d", g.user())
	if !strings.Contains(route, "{id}") {
		return route, auth
	}
	kind := map[string]string{"/api/patients/{id}/": "p", "/api/doctors/{id}/": "d", "/api/mappings/{id}/": "m"}[route]
	path, _, a := g.idPath(kind)
	return path, a
}

func (g *gen) anyRouteAnyMethod() {
	route := pickOf(g, allRoutes)
	method := pickOf(g, allMethods)
	path, auth := g.routePath(route)
	if g.chance(0.3) {
		auth = ""
	}
	if method == "DELETE" && strings.HasSuffix(route, "{id}/") {
		method = "OPTIONS" // deletes are deleteOne's, which keeps track of them
	}
	s := step{Method: method, Path: path, Route: route, Auth: auth}
	if method == "POST" || method == "PUT" || method == "PATCH" {
		s = g.withBody(s, []field{})
	}
	g.add(s)
}

func (g *gen) options() {
	for _, r := range allRoutes {
		path, auth := g.routePath(r)
		g.add(step{Method: "OPTIONS", Path: path, Route: r, Auth: auth})
	}
}

// slashless asks a route without its trailing slash: the Django design
// redirects; ours answer in place. Only reads, since a redirected write
// does nothing on the Django design.
func (g *gen) slashless() {
	route := pickOf(g, allRoutes)
	path, auth := g.routePath(route)
	g.add(step{Method: pickOf(g, []string{"GET", "HEAD", "OPTIONS"}), Path: strings.TrimSuffix(path, "/"), Route: strings.TrimSuffix(route, "/"),
		Auth: auth, Tags: []string{"no-slash"}})
}

func (g *gen) unknownURL() {
	p := pickOf(g, []string{"/api/nosuch/", "/", "/api/patients/1/x/", "/api/doctors/abc/def/", "/favicon.ico"})
	g.add(step{Method: pickOf(g, []string{"GET", "POST"}), Path: p, Route: "(unknown)", Auth: fmt.Sprintf("user:%d", g.user()), Tags: []string{"unknown-url"}})
}

// extraRoute asks for a route the Django design does not have.
func (g *gen) extraRoute() {
	r := pickOf(g, [][2]string{{"POST", "/api/auth/logout/"}, {"GET", "/api/auth/me/"}, {"GET", "/api/audit/"}, {"GET", "/api/schema/"},
		{"GET", "/api/docs/"}, {"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/metrics"}, {"GET", "/api/patients/{id}/doctors/"}})
	path := r[1]
	auth := fmt.Sprintf("user:%d", g.user())
	if strings.Contains(path, "{id}") && len(g.pats) > 0 {
		p := pickOf(g, g.pats)
		path, auth = strings.Replace(path, "{id}", "{"+p+"}", 1), fmt.Sprintf("user:%d", g.owner[p])
	}
	s := step{Method: r[0], Path: path, Route: r[1], Auth: auth, Tags: []string{"extra-route"}}
	if r[0] == "POST" { // logout with a token nobody holds, so that no session ends
		s.BodyKind, s.Body = "json", []field{{"refresh", "a.b.c"}}
	}
	g.add(s)
}

// badPathID: ids that are not canonical positive integers.
func (g *gen) badPathID() {
	route := pickOf(g, []string{"/api/patients/{id}/", "/api/doctors/{id}/", "/api/mappings/{id}/"})
	id := pickOf(g, []string{"abc", "0", "-1", "01", "1.5", "99999999999999999999", "%20", "+1"})
	s := step{Method: pickOf(g, []string{"GET", "PATCH", "DELETE"}), Path: strings.Replace(route, "{id}", id, 1), Route: route,
		Auth: fmt.Sprintf("user:%d", g.user())}
	if id == "01" || id == "+1" {
		// Record 1 to the Django design: only read, since a write there
		// would change a record of some other sequence.
		s.Method, s.Tags = "GET", []string{"noncanonical-id"}
	}
	g.add(s)
}

// badBody: bodies that do not parse, are not objects, or say another type.
func (g *gen) badBody() {
	route := pickOf(g, []string{"/api/patients/", "/api/doctors/", "/api/mappings/", "/api/auth/login/", "/api/auth/register/"})
	bodies := [][2]string{{"application/json", "{"}, {"application/json", "[1,2]"}, {"application/json", "null"},
		{"application/json", `"x"`}, {"application/json", ""}, {"text/plain", `{"a":1}`}, {"application/xml", "<a/>"},
		{"application/json", "{\"first_name\": \"\xff\"}"}, {"application/json; charset=utf-8", "{}"}, {"", `{"a":1}`}}
	b := pickOf(g, bodies)
	tags := []string{}
	switch {
	case !strings.HasPrefix(b[0], "application/json") || b[1] == "{}" || b[1] == "":
	case b[1] == "[1,2]" || b[1] == "null" || b[1] == `"x"`:
		tags = append(tags, "non-object-json")
	default:
		tags = append(tags, "json-parse-error")
	}
	g.add(step{Method: "POST", Path: route, Route: route, Auth: fmt.Sprintf("user:%d", g.user()), BodyKind: "raw",
		ContentType: b[0], RawBody: b[1], Tags: tags})
}

// tooLarge sends a body over our 1 MiB limit (under Django's 2.5 MB).
func (g *gen) tooLarge() {
	body := `{"username":"x","password":"` + strings.Repeat("a", 1<<20+10) + `"}`
	g.add(step{Method: "POST", Path: "/api/auth/login/", Route: "/api/auth/login/", BodyKind: "raw", ContentType: "application/json",
		RawBody: body, Tags: []string{"too-large"}})
}
