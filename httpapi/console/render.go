package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clinicapi/healthcare"
)

// pageTemplate is one page: the layout with the page's own blocks.
type pageTemplate = template.Template

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	// field gathers what a form field's template needs.
	"field": func(p page, name, label, value string) formField {
		return formField{Name: name, Label: label, Value: value, Errors: p.Fields[name]}
	},
}

type formField struct {
	Name, Label, Value string
	Errors             []string
}

// parsePages parses each page of templates/ with the layout.
func parsePages() map[string]*pageTemplate {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*pageTemplate{}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		pages[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", name))
	}
	return pages
}

// page is what every template gets.
type page struct {
	Title string
	// Nav names the section the page belongs to, for aria-current.
	Nav   string
	User  *healthcare.User
	CSRF  string
	Flash string
	// Error is a problem with the whole request; Fields those of a form.
	Error  string
	Fields map[string][]string
	Data   any
}

// render writes a page with status.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if p.User == nil {
		p.User = healthcare.UserFromContext(r.Context())
	}
	if p.CSRF == "" {
		p.CSRF = csrfFromContext(r.Context())
	}
	if p.Flash == "" {
		p.Flash = flashes[r.URL.Query().Get("done")]
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, p); err != nil {
		c.logger.ErrorContext(r.Context(), "render console page", "page", name, "err", err,
			"request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID)
		http.Error(w, "A server error occurred.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// flashes are the messages a redirect after a change may show, by name,
// so that no text travels in a URL.
var flashes = map[string]string{
	"deactivated": "The account is deactivated: its tokens and sessions have ended.",
	"reactivated": "The account is active again. It must sign in anew.",
	"granted":     "The account is now staff.",
	"revoked":     "The account is no longer staff.",
	"password":    "The password is reset. The account must sign in again.",
	"created":     "The doctor is added.",
	"saved":       "The doctor is saved.",
	"deleted":     "The doctor is deleted.",
}

// statusOf turns the domain's codes into the console's statuses.
var statusOf = map[string]int{
	healthcare.EINVALID:          http.StatusBadRequest,
	healthcare.ENOTAUTHENTICATED: http.StatusUnauthorized,
	healthcare.ENOACTIVEACCOUNT:  http.StatusUnauthorized,
	healthcare.EPERMISSION:       http.StatusForbidden,
	healthcare.ENOTFOUND:         http.StatusNotFound,
	healthcare.EDOCTORASSIGNED:   http.StatusConflict,
	healthcare.EPRECONDITION:     http.StatusConflict,
	healthcare.ETHROTTLED:        http.StatusTooManyRequests,
	healthcare.EUNAVAILABLE:      http.StatusServiceUnavailable,
}

// fail writes the error page of err. An unexpected error is logged with
// the request id, which the page shows; its text is not.
func (c *console) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := healthcare.ErrorCode(err)
	if code == healthcare.EINTERNAL && c.cfg.Unavailable != nil && c.cfg.Unavailable(err) {
		code = healthcare.EUNAVAILABLE
	}
	status, ok := statusOf[code]
	msg := healthcare.ErrorMessage(err)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		status, msg = http.StatusRequestEntityTooLarge, "The form is too large."
	case code == healthcare.EUNAVAILABLE:
		w.Header().Set("Retry-After", "1")
		msg = "The database is not answering. Try again in a moment."
	case !ok:
		status = http.StatusInternalServerError
		c.logger.LogAttrs(r.Context(), slog.LevelError, "console request failed", slog.String("err", err.Error()),
			slog.String("request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID))
		msg = "A server error occurred. Its request id is " + healthcare.RequestInfoFromContext(r.Context()).RequestID + "."
	}
	var he *healthcare.Error
	if errors.As(err, &he) && he.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(he.RetryAfter.Seconds())))
	}
	c.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg})
}

// handlerFunc is a console handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (c *console) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			c.fail(w, r, err)
		}
	})
}

// redirect answers a change with 303 to a page that shows it.
func redirect(w http.ResponseWriter, r *http.Request, to string, done string) {
	if done != "" {
		to += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// pathID reads the {id} of a path: a positive integer in its one
// spelling ("02" and "+2" are not 2, as in the API), or not found.
func pathID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, healthcare.NotFound()
	}
	return id, nil
}

// fieldsOf returns the field problems of a validation error, or nil.
func fieldsOf(err error) map[string][]string {
	var he *healthcare.Error
	if errors.As(err, &he) && he.Code == healthcare.EINVALID {
		return he.Fields
	}
	return nil
}

func idString(id int64) string { return fmt.Sprint(id) }
