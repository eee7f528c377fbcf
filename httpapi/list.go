package httpapi

import (
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
	values      url.Values
	errs        healthcare.FieldErrors
	tooMany     bool
	invalidPage bool
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
	switch {
	case p.tooMany:
		return httpError(eParse, fmt.Sprintf("Too many query parameters: at most %d.", maxParams))
	case len(p.errs) > 0:
		return p.errs.Err()
	case p.invalidPage:
		return healthcare.Errorf(healthcare.ENOTFOUND, healthcare.MsgInvalidPage)
	}
	return nil
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		s = u
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// last returns the last value of name, as Django's QueryDict.get does.
func (p *params) last(name string) string {
	vs := p.values[name]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// get returns the last value of name, trimmed.
func (p *params) get(name string) string { return strings.TrimSpace(p.last(name)) }

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

// parseListOptions reads ?page, ?page_size, ?search and ?ordering as DRF's
// PageNumberPagination and OrderingFilter do: a page that is not a
// positive integer (or "last") names no page, a bad page_size is ignored,
// and ordering fields outside orderFields are dropped.
func parseListOptions(q *params, orderFields []string) healthcare.ListOptions {
	opt := healthcare.ListOptions{PageSize: healthcare.DefaultPageSize, Search: q.text("search", 200)}
	if n, ok := pyInt(q.last("page_size")); ok && n >= 1 {
		opt.PageSize = min(n, healthcare.MaxPageSize)
	}
	switch v, given := q.values["page"]; {
	case !given:
		opt.Page = 1
	case v[len(v)-1] == "last":
		opt.Last = true
	default:
		n, ok := pyInt(v[len(v)-1])
		if !ok || n < 1 {
			q.invalidPage = true
		}
		// Past any real page count; keeps OFFSET arithmetic far from overflow.
		opt.Page = min(max(n, 1), 1_000_000_000)
	}
	// A field named again changes nothing (the first mention orders), and
	// SQLite refuses an ORDER BY of 2,000 terms.
	seen := map[string]bool{}
	for _, f := range strings.Split(q.get("ordering"), ",") {
		f = strings.TrimSpace(f)
		if name := strings.TrimPrefix(f, "-"); slices.Contains(orderFields, name) && !seen[name] {
			seen[name] = true
			opt.Ordering = append(opt.Ordering, f)
		}
	}
	return opt
}

// pyInt reads s as Python's int() does a client's text: surrounding
// whitespace, a sign, and decimal digits with single underscores between
// them. A number too large for int is saturated.
func pyInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	n := 0
	for _, c := range s {
		switch {
		case c == '_':
		case c >= '0' && c <= '9':
			n = min(n*10+int(c-'0'), math.MaxInt/10-10)
		default:
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
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
	if opt.Last { // the store found it by the same count
		opt.Page = max(1, (total+opt.PageSize-1)/opt.PageSize)
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
