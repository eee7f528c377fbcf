package main

import (
	"fmt"
	"strings"
)

// A step is one request, written once and sent to every server. Ids and
// tokens in it are symbolic (slots), resolved on each server to that
// server's own ids and tokens.
type step struct {
	Method string
	// Path may hold slot references: {p3} is patient slot 3, {d1} doctor
	// slot 1, {m2} assignment slot 2. A slot a server never filled
	// resolves to an id nobody holds.
	Path string
	// Route is the route template the step exercises, for the report and
	// for the rules: /api/patients/{id}/.
	Route string
	Query string
	// Auth: "" none, "user:N" user N's access token, "refresh:N" user N's
	// refresh token used as an access token, "raw:VALUE" that header.
	Auth string
	// BodyKind: "" none, "json", "form", "multipart", "raw".
	BodyKind    string
	Body        []field // for json (as an object), form and multipart
	RawBody     string  // for raw
	ContentType string  // for raw, and overrides the others' if set
	Headers     map[string]string
	// Creates names the slot ("p3") the id of a 201 answer fills.
	Creates string
	// Login stores the tokens of a 200 answer for user LoginUser (>0).
	LoginUser int
	// Refresh updates user RefreshUser's tokens from a 200 answer (>0).
	RefreshUser int
	// Tags say what the step is for; rules may match on them.
	Tags []string
	// Sync runs on our servers only, uncompared, after this step when a
	// rule allowed its difference: it brings our state back in line
	// with the Django design's where the deliberate difference left them
	// apart (a 409 instead of a cascade, a record only one side made).
	Sync []step
}

// field is one body field; Value is a JSON-able value or one of the
// reference types below.
type field struct {
	Name  string
	Value any
}

// ref is the id of a slot, "p3", as a JSON number (or a string when AsString).
type ref struct {
	Slot     string
	AsString bool
}

// tokenRef is a user's token: which is "access", "refresh" or "previous"
// (the refresh token before the last rotation).
type tokenRef struct {
	User  int
	Which string
}

// shape is what the report counts: the method, the route and the tags.
func (s step) shape() string {
	sh := s.Method + " " + s.Route
	if s.Query != "" {
		keys := []string{}
		for _, kv := range strings.Split(s.Query, "&") {
			k, _, _ := strings.Cut(kv, "=")
			keys = append(keys, k)
		}
		sh += " ?" + strings.Join(keys, ",")
	}
	if s.BodyKind != "" && s.BodyKind != "json" {
		sh += " [" + s.BodyKind + "]"
	}
	if len(s.Tags) > 0 {
		sh += " #" + strings.Join(s.Tags, ",")
	}
	return sh
}

func (s step) hasTag(t string) bool {
	for _, x := range s.Tags {
		if x == t {
			return true
		}
	}
	return false
}

func (s step) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", s.Method, s.Path)
	if s.Query != "" {
		b.WriteString("?" + s.Query)
	}
	if s.Auth != "" {
		b.WriteString("  auth=" + s.Auth)
	}
	for k, v := range s.Headers {
		fmt.Fprintf(&b, "  %s: %s", k, v)
	}
	switch s.BodyKind {
	case "raw":
		body := s.RawBody
		if len(body) > 120 {
			body = fmt.Sprintf("%s… (%d bytes)", body[:120], len(body))
		}
		fmt.Fprintf(&b, "  [%s] %q", s.ContentType, body)
	case "":
	default:
		parts := []string{}
		for _, f := range s.Body {
			parts = append(parts, fmt.Sprintf("%s=%v", f.Name, f.Value))
		}
		fmt.Fprintf(&b, "  [%s] {%s}", s.BodyKind, strings.Join(parts, ", "))
	}
	if len(s.Tags) > 0 {
		b.WriteString("  #" + strings.Join(s.Tags, ","))
	}
	return b.String()
}
