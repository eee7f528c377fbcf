package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// auditEvents returns every event u may see, newest first, with filters.
func (e *env) auditEvents(u user, query string) []map[string]any {
	e.t.Helper()
	body := e.do(req{method: "GET", path: "/api/audit/?page_size=100&" + query, token: u.Access}).expect(e.t, 200).Obj(e.t)
	var out []map[string]any
	for _, ev := range body["results"].([]any) {
		out = append(out, ev.(map[string]any))
	}
	return out
}

// eventFor finds the event a request caused, by its request id.
func eventFor(t *testing.T, events []map[string]any, res *response) map[string]any {
	t.Helper()
	id := res.Header.Get("X-Request-ID")
	var found map[string]any
	for _, ev := range events {
		if ev["request_id"] == id {
			if found != nil {
				t.Errorf("two events for request %s: %v and %v", id, found, ev)
			}
			found = ev
		}
	}
	if found == nil {
		t.Fatalf("no event with request_id %s among %d events", id, len(events))
	}
	return found
}

func num(id int64) any { return float64(id) }

func TestAuditEveryAction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		a, b := e.newUser(), e.newUser()
		type check struct {
			res  *response
			want map[string]any
		}
		var checks []check
		do := func(r req, status int, want map[string]any) *response {
			t.Helper()
			res := e.do(r).expect(t, status)
			checks = append(checks, check{res, want})
			return res
		}
		body := map[string]any{"first_name": "Jon", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01"}
		created := do(req{method: "POST", path: "/api/patients/", token: a.Access, body: body}, 201, nil)
		p := int64(created.Obj(t)["id"].(float64))
		checks[0].want = map[string]any{"action": "patient.create", "actor": num(a.ID), "object_type": "patient", "object_id": num(p), "patient_id": num(p), "outcome": "ok"}
		pp := "/api/patients/" + itoa(p) + "/"
		do(req{method: "GET", path: pp, token: a.Access}, 200, map[string]any{"action": "patient.read", "actor": num(a.ID), "patient_id": num(p), "outcome": "ok"})
		do(req{method: "GET", path: "/api/patients/", token: a.Access}, 200, map[string]any{"action": "patient.list", "actor": num(a.ID), "patient_ids": []any{num(p)}, "outcome": "ok"})
		do(req{method: "PATCH", path: pp, token: a.Access, body: map[string]any{"notes": "x"}}, 200, map[string]any{"action": "patient.update", "patient_id": num(p), "outcome": "ok"})
		do(req{method: "PATCH", path: pp, token: a.Access, body: map[string]any{"dob": "bad"}}, 400, nil) // rejected before the store: no event
		checks = checks[:len(checks)-1]
		do(req{method: "PATCH", path: pp, token: a.Access, body: map[string]any{"first_name": string(make([]byte, 0)) + "x", "email": "bad"}}, 400,
			map[string]any{"action": "patient.update", "patient_id": num(p), "outcome": "invalid"})
		do(req{method: "PATCH", path: pp, token: a.Access, body: map[string]any{"notes": "y"}, header: map[string]string{"If-Match": `"999"`}}, 412,
			map[string]any{"action": "patient.update", "outcome": "invalid"})
		d := do(req{method: "POST", path: "/api/doctors/", token: a.Access, body: map[string]any{"first_name": "A", "last_name": "B", "email": "d@c.com", "specialization": "GP"}}, 201, nil)
		did := int64(d.Obj(t)["id"].(float64))
		checks[len(checks)-1].want = map[string]any{"action": "doctor.create", "object_type": "doctor", "object_id": num(did), "patient_id": nil, "outcome": "ok"}
		do(req{method: "PATCH", path: "/api/doctors/" + itoa(did), token: a.Access, body: map[string]any{"specialization": "X"}}, 200, map[string]any{"action": "doctor.update", "object_id": num(did)})
		m := do(req{method: "POST", path: "/api/mappings/", token: a.Access, body: map[string]any{"patient": p, "doctor": did}}, 201, nil)
		mid := int64(m.Obj(t)["id"].(float64))
		checks[len(checks)-1].want = map[string]any{"action": "assignment.create", "object_type": "assignment", "object_id": num(mid), "patient_id": num(p), "outcome": "ok"}
		do(req{method: "GET", path: "/api/mappings/", token: a.Access}, 200, map[string]any{"action": "assignment.list", "patient_ids": []any{num(p)}})
		do(req{method: "GET", path: "/api/mappings/" + itoa(p) + "/", token: a.Access}, 200, map[string]any{"action": "assignment.list", "patient_id": num(p)})
		do(req{method: "DELETE", path: "/api/doctors/" + itoa(did), token: a.Access}, 409, map[string]any{"action": "doctor.delete", "outcome": "denied"})
		do(req{method: "DELETE", path: "/api/mappings/" + itoa(mid), token: a.Access}, 204, map[string]any{"action": "assignment.delete", "object_id": num(mid), "patient_id": num(p)})
		do(req{method: "DELETE", path: "/api/doctors/" + itoa(did), token: a.Access}, 204, map[string]any{"action": "doctor.delete", "outcome": "ok"})
		do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": a.Refresh}}, 200, map[string]any{"action": "auth.refresh", "actor": num(a.ID), "outcome": "ok"})
		do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": a.Refresh}}, 401, map[string]any{"action": "auth.token_reuse", "actor": num(a.ID), "outcome": "denied"})
		do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": a.Username, "password": "wrong-password-1"}}, 401,
			map[string]any{"action": "auth.login_failed", "actor": nil, "object_id": num(a.ID), "outcome": "denied"})
		login := do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": a.Username, "password": strongPassword}}, 200,
			map[string]any{"action": "auth.login", "actor": num(a.ID), "outcome": "ok"})
		do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": login.Obj(t)["refresh"]}}, 204, map[string]any{"action": "auth.logout", "actor": num(a.ID)})
		do(req{method: "DELETE", path: pp, token: a.Access}, 204, map[string]any{"action": "patient.delete", "patient_id": num(p), "outcome": "ok"})

		events := e.auditEvents(a, "")
		for _, c := range checks {
			ev := eventFor(t, events, c.res)
			for k, v := range c.want {
				if got := ev[k]; !equalJSON(got, v) {
					t.Errorf("%s event %s = %v, want %v (event %v)", c.want["action"], k, got, v, ev)
				}
			}
			if ev["client_addr"] == "" {
				t.Errorf("event without client address: %v", ev)
			}
			at, err := time.Parse(time.RFC3339Nano, ev["at"].(string))
			if err != nil || time.Since(at) > time.Minute {
				t.Errorf("event at = %v", ev["at"])
			}
		}
		for i := 1; i < len(events); i++ {
			if events[i]["id"].(float64) >= events[i-1]["id"].(float64) {
				t.Fatalf("events not newest first: %v then %v", events[i-1]["id"], events[i]["id"])
			}
		}

		// B probing A's patient leaves an event with B as actor, seen by B
		// and by staff but telling B nothing new.
		probe := e.do(req{method: "GET", path: "/api/patients/" + itoa(e.newPatient(a, nil)) + "/", token: b.Access}).expect(t, 404)
		ev := eventFor(t, e.auditEvents(b, ""), probe)
		if ev["action"] != "patient.read" || ev["outcome"] != "not_found" || ev["actor"] != num(b.ID) {
			t.Errorf("probe event = %v", ev)
		}
		for _, ev := range e.auditEvents(b, "") {
			if ev["actor"] != num(b.ID) {
				t.Errorf("b sees an event of someone else: %v", ev)
			}
		}
		staff := e.newStaff()
		eventFor(t, e.auditEvents(staff, "action=patient.read"), probe)
		if n := len(e.auditEvents(staff, "")); n <= len(events) {
			t.Errorf("staff sees %d events, want more than a's %d", n, len(events))
		}
	})
}

func TestAuditFiltersAndRoutes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		p1, p2 := e.newPatient(u, nil), e.newPatient(u, nil)
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p1), token: u.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/patients/" + itoa(p2), token: u.Access}).expect(t, 200)
		e.do(req{method: "GET", path: "/api/patients/", token: u.Access}).expect(t, 200)

		for _, ev := range e.auditEvents(u, "patient="+itoa(p1)) {
			if ev["patient_id"] != num(p1) && !containsID(ev["patient_ids"], p1) {
				t.Errorf("?patient=%d returned %v", p1, ev)
			}
		}
		if n := len(e.auditEvents(u, "patient="+itoa(p1))); n != 3 {
			t.Errorf("?patient=%d: %d events, want create, read and list", p1, n)
		}
		reads := e.auditEvents(u, "action=patient.read")
		if len(reads) != 2 {
			t.Errorf("?action=patient.read: %d events, want 2", len(reads))
		}
		future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
		if n := len(e.auditEvents(u, "since="+future)); n != 0 {
			t.Errorf("?since=future: %d events", n)
		}
		past := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
		if n := len(e.auditEvents(u, "until="+past)); n != 0 {
			t.Errorf("?until=past: %d events", n)
		}
		if n := len(e.auditEvents(u, "since="+past+"&until="+future)); n < 6 {
			t.Errorf("?since&until around now: %d events", n)
		}
		// A bound finer than the trail's microseconds is read to the
		// microsecond, on both engines alike, as Django reads it: an
		// event at T is since T plus a nanosecond, and until it.
		newest := e.auditEvents(u, "")[0]
		at := newest["at"].(string)
		if !strings.Contains(at, ".") {
			at = strings.TrimSuffix(at, "Z") + ".000000Z"
		}
		finer := url.QueryEscape(strings.TrimSuffix(at, "Z") + "999Z")
		for _, q := range []string{"since=" + finer, "until=" + url.QueryEscape(at), "since=" + url.QueryEscape(at)} {
			if got := e.auditEvents(u, q); len(got) == 0 || got[0]["id"] != newest["id"] {
				t.Errorf("?%s: the newest event (at %s) is not the first of %d", q, at, len(got))
			}
		}
		e.do(req{method: "GET", path: "/api/audit/?since=yesterday&patient=x", token: u.Access}).expectBody(t, 400, `{
			"since": ["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."],
			"patient": ["A valid integer is required."]}`)
		for _, id := range []string{"0", "-1"} {
			e.do(req{method: "GET", path: "/api/audit/?patient=" + id, token: u.Access}).
				expectBody(t, 400, `{"patient": ["Ensure this value is greater than or equal to 1."]}`)
		}
		e.do(req{method: "GET", path: "/api/audit/"}).expectBody(t, 401, notAuthBody)
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			e.do(req{method: m, path: "/api/audit/", token: u.Access, body: map[string]any{}}).expect(t, 405)
		}
		e.do(req{method: "DELETE", path: "/api/audit/1/", token: u.Access}).expect(t, 404)
	})
}

func containsID(list any, id int64) bool {
	ids, _ := list.([]any)
	for _, v := range ids {
		if v == num(id) {
			return true
		}
	}
	return false
}

func equalJSON(a, b any) bool { return string(mustJSON(a)) == string(mustJSON(b)) }

// A failed login on somebody else's account, sent with one's own token, is
// seen by that account's owner and by staff, never by the sender: the
// answer is the same 401 for every name, and the audit trail must not tell
// the sender more. The same for an email, and for a name of no account.
func TestAuditLoginFailureHidesOtherAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		a, b, staff := e.newUser(), e.newUser(), e.newStaff()
		var probes []*response
		for _, name := range []string{b.Username, b.Username + "@example.com", "nobody-at-all"} {
			probes = append(probes, e.do(req{method: "POST", path: "/api/auth/login/", token: a.Access,
				body: map[string]any{"username": name, "password": "wrong-password-1"}}).expect(t, 401))
		}
		for _, ev := range e.auditEvents(a, "action=auth.login_failed") {
			t.Errorf("the sender sees a failed login in its audit trail: %v", ev)
		}
		for _, res := range probes[:2] {
			ev := eventFor(t, e.auditEvents(b, "action=auth.login_failed"), res)
			if ev["actor"] != nil || ev["object_id"] != num(b.ID) {
				t.Errorf("the account's owner sees %v, want actor null and object_id %d", ev, b.ID)
			}
		}
		for _, res := range probes {
			eventFor(t, e.auditEvents(staff, "action=auth.login_failed"), res)
		}
	})
}
