package httpapi_test

// OWASP API2:2023, broken authentication: every forged or misused token is
// refused by the running server with 401 token_not_valid.

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func TestForgedTokensRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		now := time.Now()
		claims := func(over map[string]any) gojwt.MapClaims {
			c := gojwt.MapClaims{"token_type": "access", "user_id": u.ID, "jti": "0123456789abcdef",
				"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
			for k, v := range over {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
			}
			return c
		}
		sign := func(method gojwt.SigningMethod, key any, c gojwt.MapClaims, header map[string]any) string {
			tok := gojwt.NewWithClaims(method, c)
			for k, v := range header {
				tok.Header[k] = v
			}
			s, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		key := testKey
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		good := sign(gojwt.SigningMethodHS256, key, claims(nil), nil)
		e.do(req{method: "GET", path: "/api/auth/me/", token: good}).expect(t, 200) // the control

		parts := strings.Split(good, ".")
		tampered := parts[0] + "." + b64(claims(map[string]any{"user_id": u.ID + 1})) + "." + parts[2]
		forged := map[string]string{
			"other key":                    sign(gojwt.SigningMethodHS256, []byte("another-key-another-key-another-k"), claims(nil), nil),
			"HS384":                        sign(gojwt.SigningMethodHS384, key, claims(nil), nil),
			"HS512":                        sign(gojwt.SigningMethodHS512, key, claims(nil), nil),
			"RS256":                        sign(gojwt.SigningMethodRS256, rsaKey, claims(nil), nil),
			"RS256 header, HMAC signature": b64(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + parts[1] + "." + parts[2],
			"tampered payload":             tampered,
			"expired":                      sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(-time.Minute).Unix()}), nil),
			"no exp":                       sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"exp": nil}), nil),
			"exp a string of digits":       sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"exp": strconv.FormatInt(now.Add(5*time.Minute).Unix(), 10)}), nil),
			"iat a string of digits":       sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"iat": strconv.FormatInt(now.Unix(), 10)}), nil),
			"iat in the future":            sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"iat": now.Add(time.Hour).Unix()}), nil),
			"nbf in the future":            sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"nbf": now.Add(time.Hour).Unix()}), nil),
			"refresh as access":            u.Refresh,
			"malicious kid":                sign(gojwt.SigningMethodHS256, key, claims(nil), map[string]any{"kid": "../../../etc/passwd"}),
			"jku header":                   sign(gojwt.SigningMethodHS256, []byte("attacker"), claims(nil), map[string]any{"jku": "http://127.0.0.1:1/keys"}),
			"jwk header":                   sign(gojwt.SigningMethodHS256, []byte("attacker"), claims(nil), map[string]any{"jwk": map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString([]byte("attacker"))}}),
			"100 KB token":                 sign(gojwt.SigningMethodHS256, key, claims(map[string]any{"pad": strings.Repeat("x", 100<<10)}), nil),
		}
		for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
			forged["alg "+alg] = b64(map[string]any{"alg": alg, "typ": "JWT"}) + "." + parts[1] + "."
			forged["alg "+alg+" with signature"] = b64(map[string]any{"alg": alg, "typ": "JWT"}) + "." + parts[1] + "." + parts[2]
		}
		for name, tok := range forged {
			t.Run(name, func(t *testing.T) {
				res := e.do(req{method: "GET", path: "/api/patients/", token: tok})
				res.expect(t, 401)
				if res.Obj(t)["code"] != "token_not_valid" || res.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
					t.Errorf("%s: %s", name, res.Body)
				}
			})
		}
		// An access token is no refresh token either.
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": good}}).expectBody(t, 401, wrongTypeBody)
	})
}

func TestTokensOfRemovedUsersStop(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		deactivated, deleted := e.newUser(), e.newUser()
		raw := e.raw()
		if _, err := raw.Exec("UPDATE users SET is_active = $1 WHERE id = $2", false, deactivated.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec("DELETE FROM users WHERE id = $1", deleted.ID); err != nil {
			t.Fatal(err)
		}
		for _, u := range []user{deactivated, deleted} {
			e.do(req{method: "GET", path: "/api/auth/me/", token: u.Access}).expect(t, 401)
			e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": u.Refresh}}).expect(t, 401)
			e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": strongPassword}}).
				expectBody(t, 401, noActiveAccountBd)
		}
	})
}
