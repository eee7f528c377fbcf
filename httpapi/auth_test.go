package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

func TestRegister(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		res := e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
			"username": "alice", "email": "alice@EXAMPLE.com", "password": strongPassword,
			"first_name": "Alice", "last_name": "Liddell",
			"is_staff": true, "is_superuser": true, "id": 999, "date_joined": "2000-01-01T00:00:00Z",
		}}).expect(t, 201)
		body := res.Obj(t)
		if _, ok := body["password"]; ok {
			t.Errorf("response echoes the password: %s", res.Body)
		}
		if body["id"].(float64) == 999 || strings.HasPrefix(body["date_joined"].(string), "2000") {
			t.Errorf("read-only fields were applied: %s", res.Body)
		}
		joined, err := time.Parse(time.RFC3339, body["date_joined"].(string))
		if err != nil || time.Since(joined) > time.Minute {
			t.Errorf("date_joined = %v, want about now in RFC 3339", body["date_joined"])
		}
		delete(body, "id")
		delete(body, "date_joined")
		res.Body = mustJSON(body)
		res.expectBody(t, 201, `{"username": "alice", "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}`)

		tests := []struct {
			name string
			body map[string]any
			want string
		}{
			{"username taken, other case", map[string]any{"username": "ALICE", "email": "new@example.com", "password": strongPassword},
				`{"username": ["A user with that username already exists."]}`},
			{"email taken, other case", map[string]any{"username": "bob", "email": "Alice@Example.COM", "password": strongPassword},
				`{"email": ["A user with that email already exists."]}`},
			{"missing everything", map[string]any{},
				`{"username": ["This field is required."], "email": ["This field is required."], "password": ["This field is required."]}`},
			{"bad username and email", map[string]any{"username": "bad name!", "email": "not-an-email", "password": strongPassword},
				`{"username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."], "email": ["Enter a valid email address."]}`},
			{"username too long", map[string]any{"username": strings.Repeat("a", 151), "email": "long@example.com", "password": strongPassword},
				`{"username": ["Ensure this field has no more than 150 characters."]}`},
			{"weak password, every rule", map[string]any{"username": "carol", "email": "carol@example.com", "password": "1234"},
				`{"password": ["This password is too short. It must contain at least 8 characters.", "This password is too common.", "This password is entirely numeric."]}`},
			{"password like the username", map[string]any{"username": "dorothea", "email": "d@example.com", "password": "dorothea1"},
				`{"password": ["The password is too similar to the username."]}`},
			{"password over 1024 bytes", map[string]any{"username": "erin", "email": "erin@example.com", "password": strings.Repeat("x", 1025)},
				`{"password": ["Ensure this field has no more than 1024 characters."]}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.do(req{method: "POST", path: "/api/auth/register/", body: tt.body}).expectBody(t, 400, tt.want)
			})
		}
		// Username 150 characters long is fine.
		e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
			"username": strings.Repeat("b", 150), "email": "b150@example.com", "password": strongPassword}}).expect(t, 201)
	})
}

// A password's length is what shows: blanks and invisible code points do
// not count, spaces inside a passphrase are kept.
func TestRegisterRefusesBlankPasswords(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		short := `{"password": ["This password is too short. It must contain at least 8 characters."]}`
		for i, pw := range []string{strings.Repeat(" ", 12), strings.Repeat("\t", 12), "Zz9!" + strings.Repeat("\u200b", 10)} {
			name := fmt.Sprintf("blank%d", i)
			e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
				"username": name, "email": name + "@example.com", "password": pw}}).expectBody(t, 400, short)
			e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": name, "password": pw}}).
				expectBody(t, 401, noActiveAccountBd)
		}
		body := map[string]any{"username": "phrase", "email": "phrase@example.com", "password": " blue ox  jumps high "}
		e.do(req{method: "POST", path: "/api/auth/register/", body: body}).expect(t, 201)
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": "phrase", "password": " blue ox  jumps high "}}).expect(t, 200)
	})
}

// A login name belongs to one account, as a username or an email: no
// username may be another account's email, nor the reverse, in any case.
func TestUsernameAndEmailShareOneNamespace(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		register := func(username, email string) *response {
			return e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
				"username": username, "email": email, "password": strongPassword}})
		}
		register("victim9", "victim9@example.com").expect(t, 201)
		for _, name := range []string{"victim9@example.com", "VICTIM9@example.COM"} {
			register(name, "attacker@example.com").expectBody(t, 400, `{"username": ["A user with that username already exists."]}`)
		}
		register("attacker", "VICTIM9@EXAMPLE.COM").expectBody(t, 400, `{"email": ["A user with that email already exists."]}`)
		// The reverse: an email that is an existing username.
		register("owner7@example.com", "owner7-real@example.com").expect(t, 201)
		register("someone", "Owner7@example.com").expectBody(t, 400, `{"email": ["A user with that email already exists."]}`)
		// One's own username may be one's own email.
		register("self@example.com", "self@example.com").expect(t, 201)
		// So each login name reaches one account.
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": "victim9@example.com", "password": strongPassword}}).expect(t, 200)
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": "owner7@example.com", "password": strongPassword}}).expect(t, 200)

		// Two registrations racing for one name, one as a username and one
		// as an email: one wins, the other gets a clean 400.
		statuses := concurrently(8, func(i int) int {
			if i%2 == 0 {
				return register("race@example.com", fmt.Sprintf("race-%d@example.com", i)).Status
			}
			return register(fmt.Sprintf("racer%d", i), "race@example.com").Status
		})
		if count(statuses, 201) != 1 || count(statuses, 400) != 7 {
			t.Errorf("statuses %v: want one 201 and seven 400s", statuses)
		}
	})
}

// Usernames are one name under Unicode's caseless matching (NFKC, then
// case folding), not only ASCII's; a username is stored in NFKC, as
// Django's normalize_username does.
func TestUsernamesFoldAsUnicodeRecommends(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for i, pair := range [][2]string{{"Σίσυφος", "ΣΊΣΥΦΟΣ"}, {"straße", "STRASSE"}, {"ﬁlip", "FILIP"}, {"ǅemal", "DŽEMAL"}} {
			reg := e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
				"username": pair[0], "email": fmt.Sprintf("u%d@example.com", i), "password": strongPassword}}).expect(t, 201).Obj(t)
			if want := norm.NFKC.String(pair[0]); reg["username"] != want {
				t.Errorf("registered %q as %q, want %q", pair[0], reg["username"], want)
			}
			e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
				"username": pair[1], "email": fmt.Sprintf("v%d@example.com", i), "password": strongPassword}}).
				expectBody(t, 400, `{"username": ["A user with that username already exists."]}`)
			e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": pair[1], "password": strongPassword}}).expect(t, 200)
		}
	})
}

func TestRegisterRaceOneWins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const n = 8
		statuses := concurrently(n, func(i int) int {
			res := e.do(req{method: "POST", path: "/api/auth/register/", body: map[string]any{
				"username": "racer", "email": "racer" + itoa(int64(i)) + "@example.com", "password": strongPassword}})
			if res.Status == 400 && !strings.Contains(string(res.Body), "A user with that username already exists.") {
				t.Errorf("loser body = %s", res.Body)
			}
			return res.Status
		})
		if got := count(statuses, 201); got != 1 || count(statuses, 400) != n-1 {
			t.Errorf("statuses = %v, want one 201 and %d 400s", statuses, n-1)
		}
	})
}

func TestLogin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		for _, login := range []string{u.Username, strings.ToUpper(u.Username), u.Username + "@example.com"} {
			body := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{
				"username": login, "password": strongPassword}}).expect(t, 200).Obj(t)
			if len(body) != 2 || body["access"] == "" || body["refresh"] == "" {
				t.Errorf("login as %q: body = %v, want access and refresh", login, body)
			}
		}
		// In simplejwt's order: refresh first at login, access first at refresh.
		res := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": strongPassword}})
		if !strings.HasPrefix(string(res.Body), `{"refresh":`) {
			t.Errorf("login body = %.40s…, want refresh first", res.Body)
		}
		res = e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": res.Obj(t)["refresh"]}})
		if !strings.HasPrefix(string(res.Body), `{"access":`) {
			t.Errorf("refresh body = %.40s…, want access first", res.Body)
		}
		for _, tt := range []struct{ name, username, password string }{
			{"wrong password", u.Username, "wrong-password-123"},
			{"unknown user", "nobody", strongPassword},
			{"password over 1024 bytes", u.Username, strings.Repeat("x", 2000)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{
					"username": tt.username, "password": tt.password}})
				res.expectBody(t, 401, noActiveAccountBd)
				if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="api"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			})
		}
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{}}).
			expectBody(t, 400, `{"username": ["This field is required."], "password": ["This field is required."]}`)
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": "", "password": ""}}).
			expectBody(t, 400, `{"username": ["This field may not be blank."], "password": ["This field may not be blank."]}`)
	})
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		first := e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": u.Refresh}}).expect(t, 200).Obj(t)
		next := first["refresh"].(string)
		if next == u.Refresh || first["access"] == "" {
			t.Fatalf("refresh did not rotate: %v", first)
		}
		e.do(req{method: "GET", path: "/api/auth/me/", token: first["access"].(string)}).expect(t, 200)

		// The old token again: reuse. It fails, and so does the whole family.
		res := e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": u.Refresh}})
		res.expectBody(t, 401, tokenInvalidBody)
		if res.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
			t.Errorf("no WWW-Authenticate on 401")
		}
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": next}}).expectBody(t, 401, tokenInvalidBody)

		// Other sessions of the same user are other families and live on.
		other := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": strongPassword}}).expect(t, 200).Obj(t)
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": other["refresh"]}}).expect(t, 200)

		for _, bad := range []any{"garbage", "a.b.c"} {
			e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": bad}}).expectBody(t, 401, tokenInvalidBody)
		}
		// simplejwt says why an access token is no refresh token.
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": u.Access}}).expectBody(t, 401, wrongTypeBody)
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{}}).
			expectBody(t, 400, `{"refresh": ["This field is required."]}`)
	})
}

func TestRefreshRaceOneWins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		const n = 6
		statuses := concurrently(n, func(i int) int {
			return e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": u.Refresh}}).Status
		})
		if count(statuses, 200) != 1 || count(statuses, 401) != n-1 {
			t.Errorf("statuses = %v, want one 200 and %d 401s", statuses, n-1)
		}
	})
}

func TestLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		rotated := e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": u.Refresh}}).expect(t, 200).Obj(t)
		// No access token needed: the refresh token is the credential.
		res := e.do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": rotated["refresh"]}})
		res.expect(t, 204)
		if len(res.Body) != 0 {
			t.Errorf("204 with a body: %s", res.Body)
		}
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": rotated["refresh"]}}).expectBody(t, 401, tokenInvalidBody)
		// A second logout with the same token is refused, as simplejwt refuses a blacklisted one.
		e.do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": rotated["refresh"]}}).expectBody(t, 401, tokenInvalidBody)
		e.do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": "nonsense"}}).expectBody(t, 401, tokenInvalidBody)
		e.do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": u.Access}}).expectBody(t, 401, wrongTypeBody)
	})
}

func TestMeAndAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		me := e.do(req{method: "GET", path: "/api/auth/me/", token: u.Access}).expect(t, 200).Obj(t)
		if me["username"] != u.Username || int64(me["id"].(float64)) != u.ID {
			t.Errorf("me = %v, want %s", me, u.Username)
		}
		res := e.do(req{method: "GET", path: "/api/auth/me/"})
		res.expectBody(t, 401, notAuthBody)
		if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="api"` {
			t.Errorf("WWW-Authenticate = %q", got)
		}
		for _, tok := range []string{u.Refresh, "not-a-jwt", u.Access + "x"} {
			res := e.do(req{method: "GET", path: "/api/auth/me/", token: tok})
			res.expect(t, 401)
			if res.Obj(t)["code"] != "token_not_valid" || res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("bad token: %s", res.Body)
			}
		}
		// A bad token is refused on open routes too, as DRF does.
		e.do(req{method: "GET", path: "/api/doctors/", token: "not-a-jwt"}).expect(t, 401)
		// A token for a user that no longer exists.
		ghost, _, err := e.signer.Issue("access", 999999, 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.do(req{method: "GET", path: "/api/auth/me/", token: ghost}).expect(t, 401)
	})
}

func count(statuses []int, status int) int {
	n := 0
	for _, s := range statuses {
		if s == status {
			n++
		}
	}
	return n
}

func TestPasswordChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		second := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": strongPassword}}).expect(t, 200).Obj(t)
		earlier, _, err := e.signer.Issue("access", u.ID, 0, time.Now().Add(-10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		change := func(body map[string]any, token string) *response {
			return e.do(req{method: "POST", path: "/api/auth/password/", token: token, body: body})
		}
		change(map[string]any{"old_password": "x", "new_password": "y"}, "").expectBody(t, 401, notAuthBody)
		change(map[string]any{}, u.Access).expectBody(t, 400, `{"old_password": ["This field is required."], "new_password": ["This field is required."]}`)
		change(map[string]any{"old_password": "not-it", "new_password": "An0ther-g00d-one"}, u.Access).
			expectBody(t, 400, `{"old_password": ["Your old password was entered incorrectly. Please enter it again."]}`)
		change(map[string]any{"old_password": strongPassword, "new_password": "12345678"}, u.Access).
			expectBody(t, 400, `{"new_password": ["This password is too common.", "This password is entirely numeric."]}`)
		// The same second as the logins above, most often.
		change(map[string]any{"old_password": strongPassword, "new_password": "An0ther-g00d-one"}, u.Access).expect(t, 204)

		// Every refresh token of the user is revoked, on every device.
		for _, r := range []any{u.Refresh, second["refresh"]} {
			e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": r}}).expectBody(t, 401, tokenInvalidBody)
		}
		// Access tokens issued before the change stop working too, even
		// those of its very second (a token's iat has whole seconds).
		e.do(req{method: "GET", path: "/api/auth/me/", token: earlier}).expect(t, 401)
		for _, tok := range []any{u.Access, second["access"]} {
			e.do(req{method: "GET", path: "/api/auth/me/", token: tok.(string)}).expect(t, 401)
		}
		e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": strongPassword}}).expect(t, 401)
		fresh := e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": "An0ther-g00d-one"}}).expect(t, 200).Obj(t)
		e.do(req{method: "GET", path: "/api/auth/me/", token: fresh["access"].(string)}).expect(t, 200)
	})
}

// The Authorization header is read as simplejwt reads it, and a bad access
// token gets simplejwt's own body, with why in messages.
func TestAuthorizationHeaderAsSimplejwt(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		me := func(header ...string) *response {
			t.Helper()
			r := req{method: "GET", path: "/api/auth/me/"}.build(t)
			for _, h := range header {
				r.Header.Add("Authorization", h)
			}
			return e.doRequest(r)
		}
		bad := `{"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"}`
		for _, h := range []string{"Bearer", "Bearer a b", "Bearer " + u.Access + " x"} {
			me(h).expectBody(t, 401, bad)
		}
		if e.balancer == "" { // nginx refuses two Authorization headers itself
			me("Bearer "+u.Access, "Bearer "+u.Access).expectBody(t, 401, bad) // ambiguous
		}
		for _, h := range []string{"bearer " + u.Access, "Token " + u.Access, "", "   "} {
			me(h).expectBody(t, 401, notAuthBody) // not a Bearer header: no credentials
		}
		for _, h := range []string{"Bearer\t" + u.Access, "  Bearer   " + u.Access + "  "} {
			me(h).expect(t, 200)
		}
		for _, tok := range []string{"a.b.c", u.Access + "x", "garbage"} {
			me("Bearer "+tok).expectBody(t, 401, accessTokenBody)
		}
		me("Bearer "+u.Refresh).expectBody(t, 401, `{"detail": "Given token not valid for any token type", "code": "token_not_valid",
			"messages": [{"token_class": "AccessToken", "token_type": "access", "message": "Token has wrong type"}]}`)
		ghost, _, err := e.signer.Issue("access", 999999, 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		me("Bearer "+ghost).expectBody(t, 401, `{"detail": "User not found", "code": "user_not_found"}`)
	})
}
