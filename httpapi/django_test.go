package httpapi_test

import (
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// simplejwtToken signs a token as the Django design's simplejwt does: its
// claims, HS256 with the shared key, no kid.
func simplejwtToken(t *testing.T, tokenType string, userID int64, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	tok, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, gojwt.MapClaims{
		"token_type": tokenType, "exp": now.Add(ttl).Unix(), "iat": now.Unix(),
		"jti": "5f0c" + strings.Repeat("a", 28) + tokenType, "user_id": userID,
	}).SignedString(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Moving from the Django design keeps its sessions: with the same key, its
// access tokens work until they expire, and a refresh token of its is
// taken once into a family of ours; presenting it again is reuse.
func TestDjangoTokensCarryOver(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		e.do(req{method: "GET", path: "/api/auth/me/", token: simplejwtToken(t, "access", u.ID, 5*time.Minute)}).expect(t, 200)
		refresh := simplejwtToken(t, "refresh", u.ID, 24*time.Hour)
		pair := e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": refresh}}).expect(t, 200).Obj(t)
		e.do(req{method: "GET", path: "/api/auth/me/", token: pair["access"].(string)}).expect(t, 200)
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": refresh}}).expectBody(t, 401, tokenInvalidBody)
		// Reuse revoked the family the old token was taken into.
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": pair["refresh"]}}).expectBody(t, 401, tokenInvalidBody)
	})
}

// Logout takes a Django refresh token too: it refreshes nothing after.
func TestDjangoRefreshTokenLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		refresh := simplejwtToken(t, "refresh", u.ID, 24*time.Hour)
		e.do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": refresh}}).expect(t, 204)
		e.do(req{method: "POST", path: "/api/auth/refresh/", body: map[string]any{"refresh": refresh}}).expectBody(t, 401, tokenInvalidBody)
		e.do(req{method: "POST", path: "/api/auth/logout/", body: map[string]any{"refresh": refresh}}).expectBody(t, 401, tokenInvalidBody)
	})
}

// A Django hash is verified as Django verifies it and replaced by ours at
// the first login that proves the password.
func TestDjangoHashUpgradedAtLogin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		u := e.newUser()
		// Made by Django 3.2's make_password("s3cret-Passw0rd ü").
		const django = "pbkdf2_sha256$260000$Trg1sm3bQzgqx5ynVWKl9i$heMhf7BqwYhuzpfAcgMY/aS8OF/Pwi4+0AyaW+7whI0="
		if _, err := e.raw().Exec(`UPDATE users SET password_hash = $1 WHERE id = $2`, django, u.ID); err != nil {
			t.Fatal(err)
		}
		login := func(pw string) *response {
			return e.do(req{method: "POST", path: "/api/auth/login/", body: map[string]any{"username": u.Username, "password": pw}})
		}
		login(strongPassword).expect(t, 401)
		hash := func() string {
			var h string
			if err := e.raw().QueryRow(`SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		if hash() != django {
			t.Error("a failed login changed the stored hash")
		}
		login("s3cret-Passw0rd ü").expect(t, 200)
		if h := hash(); !strings.HasPrefix(h, "$argon2id$") {
			t.Errorf("hash after the first login = %.20s…, want argon2id", h)
		}
		login("s3cret-Passw0rd ü").expect(t, 200)
		if _, err := e.raw().Exec(`UPDATE users SET password_hash = '!unusable' WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		login("s3cret-Passw0rd ü").expectBody(t, 401, noActiveAccountBd)
	})
}
