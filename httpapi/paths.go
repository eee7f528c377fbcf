package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/clinicapi/healthcare"
)

// access is who may call a route, as a DRF view's authentication and
// permission classes say.
type access int

const (
	anyone access = iota // no token is read: the token routes, probes, docs
	reader               // a token is read if sent; safe methods need none
	user                 // a token is required
)

// drfMethods is the order in which DRF lists a view's methods in Allow.
var drfMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// pathInfo is what the router knows of one path of the API: its methods
// and who may call the methods it does not have (a DRF view authenticates
// and checks permission before it answers 405, and OPTIONS is a method
// of every view).
type pathInfo struct {
	path    string // its pattern without a method: "/api/doctors/{id}"
	methods []string
	access  access // the loosest of its routes
	allow   string // the Allow header of every answer, as DRF sends it
}

// pathTable finds the pathInfo of a request's path, whatever its method.
type pathTable struct {
	mux   *http.ServeMux
	infos map[string]*pathInfo
}

func newPathTable() *pathTable {
	return &pathTable{mux: http.NewServeMux(), infos: map[string]*pathInfo{}}
}

// add records a route pattern ("GET /api/doctors/{id}") and its access.
func (t *pathTable) add(pattern string, acc access) {
	method, path, _ := strings.Cut(pattern, " ")
	info, ok := t.infos[path]
	if !ok {
		info = &pathInfo{path: path, access: acc}
		t.infos[path] = info
		t.mux.Handle(path, info)
	}
	info.access = min(info.access, acc)
	info.methods = append(info.methods, method)
	if method == http.MethodGet {
		info.methods = append(info.methods, http.MethodHead)
	}
	info.methods = append(info.methods, http.MethodOptions)
	var allow []string
	for _, m := range drfMethods {
		if slices.Contains(info.methods, m) {
			allow = append(allow, m)
		}
	}
	info.allow = strings.Join(allow, ", ")
}

// ServeHTTP makes a pathInfo a handler of the table's mux; it is never called.
func (*pathInfo) ServeHTTP(http.ResponseWriter, *http.Request) {}

// lookup returns the path's info, or nil for a path of no route.
func (t *pathTable) lookup(r *http.Request) *pathInfo {
	if _, pattern := t.mux.Handler(r); pattern != "" {
		return t.infos[pattern]
	}
	return nil
}

// unrouted answers a method the path has no route for, as DRF answers it
// once the view has authenticated the request and checked its permission:
// OPTIONS says what the path takes, anything else is 405.
func (info *pathInfo) unrouted(auth healthcare.AuthService) apiFunc {
	answer := func(w http.ResponseWriter, r *http.Request) error {
		if r.Method == http.MethodOptions {
			encode(w, http.StatusOK, optionsResponse{Renders: []string{"application/json"},
				Parses: []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}})
			return nil
		}
		return httpError(eMethodNotAllowed, "Method \""+r.Method+"\" not allowed.")
	}
	switch info.access {
	case user:
		return authenticate(auth, requireUser(answer))
	case reader:
		return authenticate(auth, func(w http.ResponseWriter, r *http.Request) error {
			if r.Method == http.MethodOptions { // safe: IsAuthenticatedOrReadOnly lets it through
				return answer(w, r)
			}
			return requireUser(answer)(w, r)
		})
	}
	return answer
}

type optionsResponse struct {
	Renders []string `json:"renders"`
	Parses  []string `json:"parses"`
}
