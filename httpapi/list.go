package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/clinicapi/healthcare"
)

// params are a request's query parameters, read as Django reads them: only
// "&" separates them (Go's parser drops any pair holding ";"), the last of
// repeated values wins, and bad escapes or UTF-8 are kept as text, never
// passed on to the database as invalid bytes.
type params struct {
	values  url.Values
	errs    healthcare.FieldErrors
	tooMany bool
}

// maxParams is Django's DATA_UPLOAD_MAX_NUMBER_FIELDS: a query string with
// more parameters is refused before any is kept.
const maxParams = 1000

func queryParams(r *http.Request) *params {
	p := &params{values: url.Values{}, errs: healthcare.FieldErrors{}}
	if strings.Count(r.URL.RawQuery, "&") >= maxParams {
		p.tooMany = true
		return p
	}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		p.values[unescape(k)] = append(p.values[unescape(k)], unescape(v))
	}
	return p
}

// err returns the problems found with the parameters, or nil.
func (p *params) err() error {
	if p.tooMany {
		return httpError(eParse, fmt.Sprintf("Too many query parameters: at most %d.", maxParams))
	}
	return p.errs.Err()
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// get returns the last value of name, trimmed.
func (p *params) get(name string) string {
	vs := p.values[name]
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[len(vs)-1])
}

// text returns a free-text parameter, recording a problem if it holds NUL
// or is longer than max characters.
func (p *params) text(name string, max int) string {
	v := p.get(name)
	switch {
	case strings.ContainsRune(v, 0):
		p.errs.Add(name, healthcare.MsgNullCharacters)
		return ""
	case len([]rune(v)) > max:
		p.errs.Add(name, fmt.Sprintf("Ensure this field has no more than %d characters.", max))
		return ""
	}
	return v
}

// parseListOptions reads ?page, ?page_size, ?search and ?ordering. A bad
// value is a validation error under the parameter's name.
func parseListOptions(q *params, orderFields []string) healthcare.ListOptions {
	errs := q.errs
	opt := healthcare.ListOptions{
		Page:     positiveParam(q, "page", 1, errs),
		PageSize: positiveParam(q, "page_size", healthcare.DefaultPageSize, errs),
		Search:   q.text("search", 200),
	}
	opt.PageSize = min(opt.PageSize, healthcare.MaxPageSize)
	for _, f := range strings.Split(q.get("ordering"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(orderFields, strings.TrimPrefix(f, "-")) {
			errs.Add("ordering", fmt.Sprintf("Unknown ordering field %q. Use one of: %s.",
				truncate(f, 40), strings.Join(orderFields, ", ")))
			continue
		}
		opt.Ordering = append(opt.Ordering, f)
	}
	if len(opt.Ordering) > len(orderFields) {
		errs.Add("ordering", "Too many ordering fields.")
	}
	return opt
}

func positiveParam(q *params, name string, def int, errs healthcare.FieldErrors) int {
	v := q.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if errors.Is(err, strconv.ErrRange) && v[0] != '-' {
		n = math.MaxInt // a page past any end, or a page size to clamp
	} else if err != nil {
		errs.Add(name, healthcare.MsgInvalidInteger)
		return def
	}
	if n < 1 {
		errs.Add(name, "Ensure this value is greater than or equal to 1.")
		return def
	}
	// Past any real page count; keeps OFFSET arithmetic far from overflow.
	if n > 1_000_000_000 {
		n = 1_000_000_000
	}
	return n
}

// pageBody is DRF's page: count, links to the neighbouring pages, results.
type pageBody[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// newPage builds the page for items, with links like DRF's
// PageNumberPagination: the previous link of page 2 has no page parameter.
func newPage[T any](r *http.Request, opt healthcare.ListOptions, total int, items []T) pageBody[T] {
	if items == nil {
		items = []T{}
	}
	p := pageBody[T]{Count: total, Results: items}
	if opt.Offset()+len(items) < total {
		next := pageURL(r, opt.Page+1)
		p.Next = &next
	}
	if opt.Page > 1 {
		prev := pageURL(r, opt.Page-1)
		p.Previous = &prev
	}
	return p
}

// pageURL links to another page of the same list, with the trailing slash of
// the Django design's canonical URLs (the router strips it from r).
func pageURL(r *http.Request, page int) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: strings.TrimSuffix(r.URL.Path, "/") + "/"}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	q := queryParams(r).values
	if page == 1 {
		q.Del("page")
	} else {
		q.Set("page", strconv.Itoa(page))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// mapItems converts each domain value for the wire.
func mapItems[In, Out any](in []In, f func(In) Out) []Out {
	out := make([]Out, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
