package main

import (
	"fmt"
	"strings"
)

// The generator's odd and hostile requests: bad credentials, every route
// with every method, paths and bodies no client should send.

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
