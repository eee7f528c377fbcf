package main

import (
	"fmt"
	"net/url"
	"strings"
)

// The generator's requests about patients, doctors, assignments and lists.

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
	s := step{Method: "GET", Path: path, Route: route, Auth: auth, Query: g.listQuery(kind == "m", kind == "d")}
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

// listQuery writes list parameters. Orderings that leave ties go only to
// lists of one page (tie-broken by the comparison), never to the doctor
// directory, which the whole run shares and soon spans pages: a tie across
// a page boundary is broken by each database as it likes.
func (g *gen) listQuery(doctorFields, directory bool) string {
	q := url.Values{}
	if g.chance(0.3) {
		q.Set("page", pickOf(g, []string{"1", "2", "3", "0", "-1", "abc", "last", "99", " 2", "+1", "1.0", ""}))
	}
	paged := directory || q.Has("page")
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
		g.add(step{Method: "GET", Path: "/api/patients/", Route: "/api/patients/", Auth: fmt.Sprintf("user:%d", u), Query: g.listQuery(false, false)})
	case 1:
		auth := ""
		if g.chance(0.5) {
			auth = fmt.Sprintf("user:%d", u)
		}
		q := g.listQuery(true, true)
		if g.chance(0.7) { // this run's doctors only: the directory is shared by every sequence
			v, _ := url.ParseQuery(q)
			if v.Get("search") == "" {
				v.Set("search", g.run)
			}
			q = v.Encode()
		}
		g.add(tagQuery(step{Method: "GET", Path: "/api/doctors/", Route: "/api/doctors/", Auth: auth, Query: q}))
	case 2:
		g.add(step{Method: "GET", Path: "/api/mappings/", Route: "/api/mappings/", Auth: fmt.Sprintf("user:%d", u), Query: g.listQuery(false, false)})
	default:
		g.getOne()
	}
}

// Hostile and odd requests.
