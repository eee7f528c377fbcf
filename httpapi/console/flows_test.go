package console_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
	"github.com/clinicapi/healthcare/sqlstore"
)

// api calls the JSON API with a token.
func (b *browser) api(method, path, token string) page {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		sb.WriteString(sc.Text())
	}
	return page{Status: resp.StatusCode, Header: resp.Header, Body: sb.String()}
}

func TestAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		list := b.get("/admin/accounts/?q=ann&staff=no&active=yes")
		wantStatus(t, "search", list, http.StatusOK)
		wantBody(t, "search", list, `<a href="/admin/accounts/`+idOf(e.ann)+`">ann</a>`, "1 accounts")
		if strings.Contains(list.Body, ">root</a>") {
			t.Errorf("search for ann lists root")
		}
		wantBody(t, "staff filter", b.get("/admin/accounts/?staff=yes"), ">root</a>", "1 accounts")

		// Deactivation: the API refuses ann's access token at once, and
		// her refresh token for good.
		pair := mustLogin(t, e, "ann", annPassword)
		wantStatus(t, "API before", b.api(http.MethodGet, "/api/auth/me/", pair.Access), http.StatusOK)
		accountPath := "/admin/accounts/" + idOf(e.ann)
		p := b.post(accountPath, accountPath+"/active", url.Values{"active": {"no"}})
		wantStatus(t, "deactivate", p, http.StatusSeeOther)
		wantBody(t, "account page", b.get(p.Header.Get("Location")), "The account is deactivated", "Reactivate",
			`<a href="/admin/audit/?action=user.deactivate">user.deactivate</a>`)
		me := b.api(http.MethodGet, "/api/auth/me/", pair.Access)
		wantStatus(t, "API after", me, http.StatusUnauthorized)
		wantBody(t, "API after", me, "user_inactive")
		wantStatus(t, "reactivate", b.post(accountPath, accountPath+"/active", url.Values{"active": {"yes"}}), http.StatusSeeOther)
		if _, err := e.auth.Refresh(t.Context(), pair.Refresh); healthcare.ErrorCode(err) != healthcare.ETOKENINVALID {
			t.Errorf("refresh after reactivation: %v, want refused", err)
		}

		// Password reset: the old tokens end, the new password works.
		pair = mustLogin(t, e, "ann", annPassword)
		p = b.post(accountPath, accountPath+"/password", url.Values{"password": {"short"}, "password2": {"short"}})
		wantStatus(t, "weak password", p, http.StatusBadRequest)
		wantBody(t, "weak password", p, "This password is too short.")
		p = b.post(accountPath, accountPath+"/password", url.Values{"password": {"Brand-New-Pass-9"}, "password2": {"Brand-New-Pass-9"}})
		wantStatus(t, "reset password", p, http.StatusSeeOther)
		wantStatus(t, "API after reset", b.api(http.MethodGet, "/api/auth/me/", pair.Access), http.StatusUnauthorized)
		mustLogin(t, e, "ann", "Brand-New-Pass-9")

		// Staff: granted, then the last staff cannot go.
		wantStatus(t, "grant", b.post(accountPath, accountPath+"/staff", url.Values{"staff": {"yes"}}), http.StatusSeeOther)
		wantStatus(t, "revoke", b.post(accountPath, accountPath+"/staff", url.Values{"staff": {"no"}}), http.StatusSeeOther)
		rootPath := "/admin/accounts/" + idOf(e.root)
		for _, action := range []struct{ path, field string }{{"/staff", "staff"}, {"/active", "active"}} {
			p = b.post(rootPath, rootPath+action.path, url.Values{action.field: {"no"}})
			wantStatus(t, "demote the last staff", p, http.StatusBadRequest)
			wantBody(t, "demote the last staff", p, "This is the last active staff account")
		}
		// Every change is on record with root as actor.
		audit := b.get("/admin/audit/?actor=" + idOf(e.root) + "&action=user.deactivate")
		wantBody(t, "audit", audit, "user.deactivate", `<a href="/admin/accounts/`+idOf(e.ann)+`">user `+idOf(e.ann)+`</a>`)
		wantStatus(t, "no such account", b.get("/admin/accounts/999999"), http.StatusNotFound)
		// The access log names the console's route and the staff account.
		want := `"route":"GET /admin/accounts/{id}","status":404,`
		if logs := e.logs.String(); !strings.Contains(logs, want) || !strings.Contains(logs, `"user_id":`+idOf(e.root)+`,`) {
			t.Errorf("access log lacks %s and root's id:\n%s", want, logs)
		}
	})
}

var versionPattern = regexp.MustCompile(`name="version" value="([^"]+)"`)

func TestDoctors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		form := url.Values{"first_name": {"Alice"}, "last_name": {"Smith"}, "email": {"not-an-email"}, "specialization": {"Cardiology"}}
		p := b.post("/admin/doctors/new", "/admin/doctors/", form)
		wantStatus(t, "invalid doctor", p, http.StatusBadRequest)
		wantBody(t, "invalid doctor", p, healthcare.MsgInvalidEmail)
		form.Set("email", "alice@clinic.com")
		p = b.post("/admin/doctors/new", "/admin/doctors/", form)
		wantStatus(t, "create", p, http.StatusSeeOther)
		doctorPath, done, _ := strings.Cut(p.Header.Get("Location"), "?")
		if done != "done=created" {
			t.Errorf("create redirects to %q", p.Header.Get("Location"))
		}
		p = b.post("/admin/doctors/new", "/admin/doctors/", form)
		wantBody(t, "same email", p, "doctor with this email already exists.")
		wantBody(t, "filter", b.get("/admin/doctors/?specialization=cardiology"), "Smith, Alice")
		if strings.Contains(b.get("/admin/doctors/?specialization=Dermatology").Body, "Smith, Alice") {
			t.Error("specialization filter lists another specialization")
		}

		// Two tabs: the second save is shown the first's change.
		tab1, tab2 := b.get(doctorPath), b.get(doctorPath)
		v1, v2 := versionPattern.FindStringSubmatch(tab1.Body)[1], versionPattern.FindStringSubmatch(tab2.Body)[1]
		e.advance(time.Second)
		save := func(v, first string) page {
			f := url.Values{"first_name": {first}, "last_name": {"Smith"}, "email": {"alice@clinic.com"},
				"specialization": {"Cardiology"}, "version": {v}}
			return b.post(doctorPath, doctorPath, f)
		}
		wantStatus(t, "first save", save(v1, "Alicia"), http.StatusSeeOther)
		p = save(v2, "Ally")
		wantStatus(t, "second save", p, http.StatusConflict)
		wantBody(t, "second save", p, "Someone else changed this doctor", "<dd>Alicia</dd>", `value="Ally"`)
		wantBody(t, "after the conflict", b.get(doctorPath), `value="Alicia"`)
		// Saving again, knowingly, on the version shown.
		wantStatus(t, "save over", save(versionPattern.FindStringSubmatch(p.Body)[1], "Ally"), http.StatusSeeOther)

		// An assigned doctor is not deleted, and the page says for how many.
		id, _ := strconv.ParseInt(strings.TrimPrefix(doctorPath, "/admin/doctors/"), 10, 64)
		assign(t, e, id, 2)
		p = b.post(doctorPath, doctorPath+"/delete", url.Values{})
		wantStatus(t, "delete assigned", p, http.StatusConflict)
		wantBody(t, "delete assigned", p, "2 patients are still assigned")
		wantStatus(t, "delete unassigned", b.post("/admin/doctors/new", "/admin/doctors/new/delete", url.Values{}), http.StatusNotFound)
	})
}

// assign gives ann n patients, each assigned to the doctor.
func assign(t *testing.T, e *env, doctor int64, n int) []*healthcare.Patient {
	t.Helper()
	ctx := healthcare.NewContextWithUser(t.Context(), e.ann)
	var out []*healthcare.Patient
	for i := range n {
		p := &healthcare.Patient{FirstName: "Pat", LastName: "Ient", Email: "p" + strconv.Itoa(i) + "@example.com",
			DOB: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC)}
		if err := sqlstore.NewPatientService(e.db).CreatePatient(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		if doctor != 0 {
			if err := sqlstore.NewAssignmentService(e.db).CreateAssignment(ctx, &healthcare.Assignment{PatientID: p.ID, DoctorID: doctor}, nil); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, p)
	}
	return out
}

func TestPatientWithReason(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		patient := assign(t, e, 0, 1)[0]
		id := strconv.FormatInt(patient.ID, 10)
		wantStatus(t, "no list of patients", b.get("/admin/patients/"+id), http.StatusNotFound)
		p := b.post("/admin/patients/", "/admin/patients/", url.Values{"id": {id}, "reason": {"  "}})
		wantStatus(t, "blank reason", p, http.StatusBadRequest)
		p = b.post("/admin/patients/", "/admin/patients/", url.Values{"id": {"999999"}, "reason": {"ticket 7"}})
		wantStatus(t, "no such patient", p, http.StatusNotFound)
		p = b.post("/admin/patients/", "/admin/patients/", url.Values{"id": {id}, "reason": {"support ticket 7"}})
		wantStatus(t, "open", p, http.StatusOK)
		wantBody(t, "open", p, "p0@example.com", "support ticket 7")
		// The owner finds it in their own audit list.
		owner := mustLogin(t, e, "ann", annPassword)
		list := b.api(http.MethodGet, "/api/audit/?action=patient.staff_read", owner.Access)
		wantStatus(t, "owner's audit", list, http.StatusOK)
		var body struct {
			Results []struct {
				Actor     int64 `json:"actor"`
				PatientID int64 `json:"patient_id"`
			} `json:"results"`
		}
		if err := json.Unmarshal([]byte(list.Body), &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Results) != 1 || body.Results[0].Actor != e.root.ID || body.Results[0].PatientID != patient.ID {
			t.Errorf("owner's staff reads = %+v, want root's one read of %d", body.Results, patient.ID)
		}
		wantBody(t, "audit page", b.get("/admin/audit/?patient="+id), "patient.staff_read", "support ticket 7")
	})
}

func TestAuditTrail(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		b := e.signedIn()
		e.browser().signIn("root", "wrong")
		wantStatus(t, "bad filter", b.get("/admin/audit/?actor=x&since=yesterday"), http.StatusBadRequest)
		p := b.get("/admin/audit/?action=console.sign_in&outcome=ok")
		wantBody(t, "filtered", p, "console.sign_in")
		// The export links carry the filters, each its own parameter.
		wantBody(t, "export link", p, `href="/admin/audit/export.csv?action=console.sign_in&amp;outcome=ok"`)
		if strings.Contains(p.Body, "console.sign_in_failed</a>") {
			t.Error("action filter lets another action through")
		}
		since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
		csv := b.get("/admin/audit/export.csv?action=console.sign_in&since=" + since + ":00")
		wantStatus(t, "CSV", csv, http.StatusOK)
		if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("CSV Content-Type = %q", ct)
		}
		lines := strings.Split(strings.TrimSpace(csv.Body), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], `"id","at","actor","action"`) || !strings.Contains(lines[1], `,"console.sign_in",`) {
			t.Errorf("CSV export = %q, want a header and root's sign-in", lines)
		}
		jsonl := b.get("/admin/audit/export.jsonl?action=console.sign_in_failed")
		var ev struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(jsonl.Body)), &ev); err != nil || ev.Action != "console.sign_in_failed" {
			t.Errorf("JSON lines export = %q (%v)", jsonl.Body, err)
		}
		// The exports themselves are on record.
		wantBody(t, "exports audited", b.get("/admin/audit/?action=audit.export"), "audit.export</a>")
		wantBody(t, "dashboard", b.get("/admin/"), "1 failed sign-ins")
	})
}
