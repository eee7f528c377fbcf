package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/clinicapi/healthcare"
)

// Cookie names; under TLS they take the __Host- prefix, which binds them
// to this host and to Path=/ (a browser refuses such a cookie otherwise).
const (
	sessionCookie = "console_session"
	// loginCookie carries the sign-in form's CSRF token, before any session.
	loginCookie = "console_login"
)

type contextKey int

const (
	csrfKey contextKey = iota + 1
	sessionKey
)

func csrfFromContext(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey).(string)
	return s
}

func (c *console) secure(r *http.Request) bool { return r.TLS != nil || c.cfg.SecureCookies }

func (c *console) cookieName(r *http.Request, base string) string {
	if c.secure(r) {
		return "__Host-" + base
	}
	return base
}

// setCookie sets (or with maxAge < 0, clears) a cookie no script can read
// and no other site's request carries.
func (c *console) setCookie(w http.ResponseWriter, r *http.Request, base, value string, maxAge int) {
	ck := &http.Cookie{Name: c.cookieName(r, base), Value: value, Path: "/admin/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if c.secure(r) {
		ck.Secure, ck.Path = true, "/"
	}
	http.SetCookie(w, ck)
}

func (c *console) cookie(r *http.Request, base string) string {
	ck, err := r.Cookie(c.cookieName(r, base))
	if err != nil {
		return ""
	}
	return ck.Value
}

// csrfToken is a session's CSRF token: derived from the session's secret
// id, so it needs no storage and is worthless once the session ends, and
// does not reveal the id.
func csrfToken(sessionID string) string {
	mac := hmac.New(sha256.New, []byte(sessionID))
	mac.Write([]byte("console csrf"))
	return hex.EncodeToString(mac.Sum(nil))
}

func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func errCSRF() error {
	return healthcare.Errorf(healthcare.EPERMISSION,
		"This form was refused: its security token is missing or belongs to another session. Reload the page and try again.")
}

// checkCSRF compares the form's token with want, in constant time.
func checkCSRF(r *http.Request, want string) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	got := r.PostFormValue("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF()
	}
	return nil
}

// staff serves h to the signed-in staff account of a live session, with a
// POST's CSRF token checked; anyone else is sent to the sign-in page.
func (c *console) staff(h handlerFunc) http.Handler {
	return c.handle(func(w http.ResponseWriter, r *http.Request) error {
		id := c.cookie(r, sessionCookie)
		u, err := c.svc.Sessions.Session(r.Context(), id)
		if healthcare.ErrorCode(err) == healthcare.ENOTAUTHENTICATED {
			to := "/admin/login"
			if id != "" {
				c.setCookie(w, r, sessionCookie, "", -1)
				to += "?expired=1"
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		} else if err != nil {
			return err
		}
		c.cfg.NoteUser(r.Context(), u.ID)
		token := csrfToken(id)
		ctx := healthcare.NewContextWithUser(r.Context(), u)
		ctx = context.WithValue(context.WithValue(ctx, csrfKey, token), sessionKey, id)
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost {
			if err := checkCSRF(r, token); err != nil {
				return err
			}
		}
		return h(w, r)
	})
}

type loginData struct {
	Username string
}

func (c *console) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := c.svc.Sessions.Session(r.Context(), c.cookie(r, sessionCookie)); err == nil {
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
		return nil
	}
	p := page{Title: "Sign in", Data: loginData{}}
	if r.URL.Query().Get("expired") != "" {
		p.Flash = "Your session has ended. Please sign in again."
	}
	token, err := c.loginToken(w, r)
	if err != nil {
		return err
	}
	p.CSRF = token
	c.render(w, r, http.StatusOK, "login", p)
	return nil
}

// loginToken is the sign-in form's CSRF token, in a cookie of its own
// until a session replaces it: a form posted from another site carries
// neither the cookie (SameSite) nor the token.
func (c *console) loginToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if n := c.cookie(r, loginCookie); len(n) == 64 {
		return c.loginFormToken(n), nil
	}
	n, err := randomToken()
	if err != nil {
		return "", err
	}
	c.setCookie(w, r, loginCookie, n, 0)
	return c.loginFormToken(n), nil
}

// loginFormToken is the sign-in form's token for the cookie's nonce: a
// keyed hash, so only this server can make the pair.
func (c *console) loginFormToken(nonce string) string {
	if len(nonce) != 64 {
		return ""
	}
	mac := hmac.New(sha256.New, c.cfg.Key)
	mac.Write([]byte("console sign-in " + nonce))
	return hex.EncodeToString(mac.Sum(nil))
}

func (c *console) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if err := checkCSRF(r, c.loginFormToken(c.cookie(r, loginCookie))); err != nil {
		return err
	}
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	p := page{Title: "Sign in", CSRF: c.loginFormToken(c.cookie(r, loginCookie)), Data: loginData{Username: username}}
	// The API's limit per client address, on the same counter.
	key := "auth:addr:" + healthcare.RequestInfoFromContext(r.Context()).ClientAddr
	if err := c.svc.Throttle.Hit(r.Context(), key, c.cfg.AuthLimit); err != nil {
		if healthcare.ErrorCode(err) == healthcare.ETHROTTLED {
			c.cfg.Metrics.Throttled("auth")
		}
		return c.signInRefused(w, r, p, err)
	}
	id, err := c.svc.Sessions.SignIn(r.Context(), username, password)
	if err != nil {
		switch healthcare.ErrorCode(err) {
		case healthcare.ENOACTIVEACCOUNT:
			c.cfg.Metrics.Login(false)
		case healthcare.ETHROTTLED:
			c.cfg.Metrics.Login(false)
			c.cfg.Metrics.Throttled("login")
		}
		return c.signInRefused(w, r, p, err)
	}
	c.cfg.Metrics.Login(true)
	c.setCookie(w, r, loginCookie, "", -1)
	c.setCookie(w, r, sessionCookie, id, 0)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
	return nil
}

// signInRefused shows the sign-in form again with why, or the error page.
func (c *console) signInRefused(w http.ResponseWriter, r *http.Request, p page, err error) error {
	switch healthcare.ErrorCode(err) {
	case healthcare.ENOACTIVEACCOUNT:
		p.Error = healthcare.MsgConsoleSignIn
		c.render(w, r, http.StatusOK, "login", p)
		return nil
	case healthcare.ETHROTTLED:
		var he *healthcare.Error
		if errors.As(err, &he) {
			w.Header().Set("Retry-After", strconv.Itoa(int(he.RetryAfter.Seconds())))
		}
		p.Error = healthcare.ErrorMessage(err)
		c.render(w, r, http.StatusTooManyRequests, "login", p)
		return nil
	}
	return err
}

func (c *console) handleLogout(w http.ResponseWriter, r *http.Request) error {
	id, _ := r.Context().Value(sessionKey).(string)
	if err := c.svc.Sessions.SignOut(r.Context(), id); err != nil {
		return err
	}
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	return nil
}
