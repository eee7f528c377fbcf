package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
)

// DRF's default parsers take forms and multipart forms as well as JSON; a
// client of the Django design may send either.
func TestFormBodies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		form := url.Values{"username": {"formuser"}, "email": {"form@example.com"}, "password": {strongPassword}, "owner": {"1"}}
		e.do(req{method: "POST", path: "/api/auth/register/", body: form.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}).expect(t, 201)
		tok := e.do(req{method: "POST", path: "/api/auth/login/", body: "username=formuser&password=" + url.QueryEscape(strongPassword),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}}).expect(t, 200).Obj(t)
		access := tok["access"].(string)

		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"first_name": "Jon", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01", "notes": "a\nb"} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("notes", "notes.txt") // a file is no field
		_, _ = fw.Write([]byte("from a file"))
		_ = mw.Close()
		p := e.do(req{method: "POST", path: "/api/patients/", token: access, body: b.String(),
			header: map[string]string{"Content-Type": mw.FormDataContentType()}}).expect(t, 201).Obj(t)
		if p["first_name"] != "Jon" || p["notes"] != "a\nb" {
			t.Errorf("patient from a multipart form = %v", p)
		}
		// The same readers and messages as JSON: a pk as text, a missing field.
		e.do(req{method: "POST", path: "/api/mappings/", token: access, body: "patient=" + itoa(int64(p["id"].(float64))) + "&doctor=abc",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}).
			expectBody(t, 400, `{"doctor": ["Incorrect type. Expected pk value, received str."]}`)
		e.do(req{method: "POST", path: "/api/auth/login/", body: "username=formuser",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}).
			expectBody(t, 400, `{"password": ["This field is required."]}`)
		for _, bad := range []struct{ body, ct string }{
			{"username=%ff%fe&password=x", "application/x-www-form-urlencoded"}, // not UTF-8
			{strings.Repeat("a=1&", 1000) + "username=x", "application/x-www-form-urlencoded"},
			{"--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nx", "multipart/form-data"}, // no boundary
		} {
			res := e.do(req{method: "POST", path: "/api/auth/login/", body: bad.body, header: map[string]string{"Content-Type": bad.ct}}).expect(t, 400)
			if res.Obj(t)["code"] != "parse_error" {
				t.Errorf("%q as %s: %s, want parse_error", bad.body, bad.ct, res.Body)
			}
		}
		e.do(req{method: "POST", path: "/api/auth/login/", body: `{"username": "x"}`,
			header: map[string]string{"Content-Type": "application/vnd.api+json"}}).expect(t, 415)
	})
}
