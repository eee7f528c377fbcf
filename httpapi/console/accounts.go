package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/clinicapi/healthcare"
)

// pageSize is the length of every list of the console.
const pageSize = 25

// pager links the pages of a list, keeping its filters.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

func newPager(r *http.Request, page, total int) pager {
	p := pager{Page: page, Total: total, Pages: max(1, (total+pageSize-1)/pageSize)}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Del("done")
		return r.URL.Path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// listOptions reads ?page= and ?q= of a list; a bad page is the first.
func listOptions(q url.Values) healthcare.ListOptions {
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return healthcare.ListOptions{Page: page, PageSize: pageSize, Search: truncate(q.Get("q"), 200)}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// tristate reads a yes/no filter: nil for any.
func tristate(v string) *bool {
	switch v {
	case "yes":
		t := true
		return &t
	case "no":
		f := false
		return &f
	}
	return nil
}

type accountsData struct {
	Query, Active, Staff string
	Users                []*healthcare.User
	Pager                pager
}

func (c *console) handleAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := healthcare.UserFilter{ListOptions: listOptions(q), Active: tristate(q.Get("active")), Staff: tristate(q.Get("staff"))}
	users, total, err := c.svc.Staff.FindUsers(r.Context(), f)
	if healthcare.ErrorCode(err) == healthcare.ENOTFOUND && f.Page > 1 {
		users, total, err = nil, 0, nil // a page past the end: an empty list, with a way back
	}
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "accounts", page{Title: "Accounts", Nav: "accounts", Data: accountsData{
		Query: f.Search, Active: q.Get("active"), Staff: q.Get("staff"), Users: users, Pager: newPager(r, f.Page, total)}})
	return nil
}

type accountData struct {
	Account *healthcare.User
	Events  []*healthcare.AuditEvent
}

func (c *console) handleAccount(w http.ResponseWriter, r *http.Request) error {
	return c.renderAccount(w, r, http.StatusOK, nil)
}

// renderAccount shows an account, with the problems of a failed action.
func (c *console) renderAccount(w http.ResponseWriter, r *http.Request, status int, failed error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := c.svc.Staff.FindUserByID(r.Context(), id)
	if err != nil {
		return err
	}
	events, _, err := c.svc.Audit.FindEvents(r.Context(), healthcare.AuditFilter{
		ListOptions: healthcare.ListOptions{Page: 1, PageSize: 20}, Involving: id})
	if err != nil {
		return err
	}
	p := page{Title: "Account " + u.Username, Nav: "accounts", Data: accountData{Account: u, Events: events}}
	if failed != nil {
		p.Fields = fieldsOf(failed)
		if p.Fields == nil {
			p.Error = healthcare.ErrorMessage(failed)
		} else if msgs := p.Fields[healthcare.NonFieldErrors]; len(msgs) > 0 {
			p.Error = msgs[0]
		}
	}
	c.render(w, r, status, "account", p)
	return nil
}

// accountAction answers a change to an account: back to its page with a
// message, or its page again with the problem.
func (c *console) accountAction(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if code := healthcare.ErrorCode(err); code == healthcare.EINVALID {
		return c.renderAccount(w, r, http.StatusBadRequest, err)
	} else if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	redirect(w, r, "/admin/accounts/"+idString(id), done)
	return nil
}

func (c *console) handleAccountActive(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	active := r.PostFormValue("active") == "yes"
	_, err = c.svc.Staff.SetUserActive(r.Context(), id, active)
	done := "deactivated"
	if active {
		done = "reactivated"
	}
	return c.accountAction(w, r, err, done)
}

func (c *console) handleAccountStaff(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	staff := r.PostFormValue("staff") == "yes"
	_, err = c.svc.Staff.SetUserStaff(r.Context(), id, staff)
	done := "revoked"
	if staff {
		done = "granted"
	}
	return c.accountAction(w, r, err, done)
}

func (c *console) handleAccountPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pw, again := r.PostFormValue("password"), r.PostFormValue("password2")
	if pw != again {
		err = healthcare.FieldError("password2", "The two password fields didn’t match.")
	} else {
		err = c.svc.Staff.ResetPassword(r.Context(), id, pw)
	}
	return c.accountAction(w, r, err, "password")
}
