package main

import (
	"fmt"
	"math/rand/v2"
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
	g.invisiblePassword()
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
