package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/clinicapi/healthcare"
)

// parseListOptions reads ?page, ?page_size, ?search and ?ordering. A bad
// value is a validation error under the parameter's name.
func parseListOptions(r *http.Request, orderFields []string) (healthcare.ListOptions, error) {
	q := r.URL.Query()
	errs := healthcare.FieldErrors{}
	opt := healthcare.ListOptions{
		Page:     positiveParam(q, "page", 1, errs),
		PageSize: positiveParam(q, "page_size", healthcare.DefaultPageSize, errs),
		Search:   strings.TrimSpace(q.Get("search")),
	}
	opt.PageSize = min(opt.PageSize, healthcare.MaxPageSize)
	if len(opt.Search) > 200 {
		errs.Add("search", "Ensure this value has at most 200 characters.")
	}
	for _, f := range strings.Split(q.Get("ordering"), ",") {
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
	return opt, errs.Err()
}

func positiveParam(q url.Values, name string, def int, errs healthcare.FieldErrors) int {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
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
	q := r.URL.Query()
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
