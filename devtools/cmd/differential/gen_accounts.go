package main

import (
	"fmt"
	"strings"
)

// The generator's requests about accounts and tokens.

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

// invisiblePassword registers with a password whose characters mostly do
// not show: Django counts code points, ours what shows.
func (g *gen) invisiblePassword() {
	u := g.spareUser()
	g.add(step{Method: "POST", Path: "/api/auth/register/", Route: "/api/auth/register/", BodyKind: "json",
		Body: []field{{"username", g.username(u)}, {"email", g.userEmail(u)},
			{"password", pickOf(g, []string{strings.Repeat(" ", 12), "Zz9!" + strings.Repeat("\u200b", 10), "Qx7" + strings.Repeat("\u0301", 9)})}},
		Tags: []string{"invisible-password"}})
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
