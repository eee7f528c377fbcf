package main

import (
	"net/http"
	"testing"
)

func TestAllowListParses(t *testing.T) {
	rules, err := readRules("../../../docs/differences.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
		if r.Reason == "" {
			t.Errorf("rule %s has no reason", r.ID)
		}
	}
	if !ids["code-key"] || !ids["refresh-rotation"] {
		t.Errorf("rules = %v, want code-key and refresh-rotation among them", ids)
	}
}

func viewOf(t *testing.T, status int, body string) view {
	t.Helper()
	v, err := parseJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return view{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, JSON: v}
}

func TestRulesAllowOnlyWhatTheySay(t *testing.T) {
	rules := []*rule{
		{ID: "code", Matcher: "body=extra:code"},
		{ID: "rotation", Matcher: "method=POST route=/api/auth/refresh/ body=extra:refresh"},
		{ID: "email", Matcher: "tag=login-by-email django=401 ours=200 body=any"},
	}
	for _, r := range rules {
		if err := r.parse(); err != nil {
			t.Fatal(err)
		}
	}
	refresh := step{Method: "POST", Route: "/api/auth/refresh/"}
	for _, tt := range []struct {
		name      string
		s         step
		dj, ours  view
		wantRules []string
	}{
		{"code added", step{Method: "GET", Route: "/api/doctors/{id}/"},
			viewOf(t, 404, `{"detail":"Not found."}`), viewOf(t, 404, `{"detail":"Not found.","code":"not_found"}`), []string{"code"}},
		{"code kept where DRF has one", step{Method: "GET", Route: "/api/patients/"},
			viewOf(t, 401, `{"detail":"x","code":"a"}`), viewOf(t, 401, `{"detail":"x","code":"b"}`), nil},
		{"other key added", step{Method: "GET", Route: "/api/doctors/{id}/"},
			viewOf(t, 404, `{"detail":"Not found."}`), viewOf(t, 404, `{"detail":"Not found.","x":1}`), nil},
		{"key order", step{Method: "POST", Route: "/api/auth/login/"},
			viewOf(t, 200, `{"refresh":"r","access":"a"}`), viewOf(t, 200, `{"access":"a","refresh":"r"}`), nil},
		{"rotation", refresh, viewOf(t, 200, `{"access":"a"}`), viewOf(t, 200, `{"access":"a","refresh":"r"}`), []string{"rotation"}},
		{"rotation, status differs", refresh, viewOf(t, 200, `{"access":"a"}`), viewOf(t, 401, `{"access":"a","refresh":"r"}`), nil},
		{"tagged", step{Method: "POST", Route: "/api/auth/login/", Tags: []string{"login-by-email"}},
			viewOf(t, 401, `{"detail":"No"}`), viewOf(t, 200, `{"refresh":"r","access":"a"}`), []string{"email"}},
		{"untagged", step{Method: "POST", Route: "/api/auth/login/"},
			viewOf(t, 401, `{"detail":"No"}`), viewOf(t, 200, `{"refresh":"r","access":"a"}`), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range allowedBy(rules, tt.s, tt.dj, tt.ours) {
				got = append(got, r.ID)
			}
			if len(got) != len(tt.wantRules) || (len(got) > 0 && got[0] != tt.wantRules[0]) {
				t.Errorf("allowed by %v, want %v", got, tt.wantRules)
			}
		})
	}
}

func TestNormaliseMapsIDsToSlots(t *testing.T) {
	tg := newTarget("x", "http://127.0.0.1:1")
	tg.record(step{Creates: "p3"}, answer{Status: 201, Body: []byte(`{"id": 41}`)})
	tg.record(step{Creates: "d5"}, answer{Status: 201, Body: []byte(`{"id": 7}`)})
	s := step{Method: "POST", Route: "/api/mappings/"}
	v := normalise(tg, s, answer{Status: 400, Header: http.Header{}, Body: []byte(
		`{"patient":["Invalid pk \"41\" - object does not exist."],"doctor":["Invalid pk \"987654321\" - object does not exist."]}`)})
	want := `{"patient":["Invalid pk \"<p3>\" - object does not exist."],"doctor":["Invalid pk \"<missing>\" - object does not exist."]}`
	if got := v.body(); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	v = normalise(tg, s, answer{Status: 201, Header: http.Header{}, Body: []byte(
		`{"id":9,"patient":41,"doctor":7,"doctor_detail":{"id":7},"created_at":"2026-01-02T03:04:05.123456Z"}`)})
	if got, want := v.body(), `{"id":"<m?>","patient":"<p3>","doctor":"<d5>","doctor_detail":{"id":"<d5>"},"created_at":"<time>"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestSortTiesKeepsTheRequestedOrder(t *testing.T) {
	list, _ := parseJSON([]byte(`[{"n":"b","id":2},{"n":"a","id":9},{"n":"a","id":1},{"n":"c","id":3}]`))
	got := encode(sortTies(list.([]value), "ordering=n"))
	if want := `[{"n":"b","id":2},{"n":"a","id":1},{"n":"a","id":9},{"n":"c","id":3}]`; got != want {
		t.Errorf("sortTies = %s, want %s", got, want)
	}
	if got := encode(sortTies(list.([]value), "")); got != encode(list) {
		t.Errorf("without ordering the list changed: %s", got)
	}
}
