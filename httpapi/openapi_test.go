package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	validationerrors "github.com/pb33f/libopenapi-validator/errors"
)

// routeRecorder is a handler that remembers what addRoutes registers.
type routeRecorder map[string]http.Handler

func (r routeRecorder) Handle(pattern string, h http.Handler) { r[pattern] = h }

// undocumentedRoutes are registered on purpose without an operation in
// openapi.json, each with the reason.
var undocumentedRoutes = map[string]string{
	"GET /api/docs/{file}": "an asset of the documentation page (GET /api/docs/), not an API operation",
}

// registeredRoutes returns every route addRoutes registers, as
// "METHOD /documented/path", with its handler.
func registeredRoutes(t *testing.T) map[string]http.Handler {
	t.Helper()
	rec := routeRecorder{}
	addRoutes(rec, newPathTable(), &errorWriter{logger: slog.Default()}, Config{}, Services{Metrics: nopMetrics{}})
	out := map[string]http.Handler{}
	for pattern, h := range rec {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			t.Fatalf("pattern %q has no method: every route must name one", pattern)
		}
		if _, skip := undocumentedRoutes[pattern]; skip {
			continue
		}
		out[method+" "+documentedPath(path)] = h
	}
	return out
}

// documentedPath is a pattern's path as openapi.json writes it: the router
// strips one trailing slash, and the document keeps the Django design's
// canonical /api/ paths, which end in one.
func documentedPath(path string) string {
	if strings.HasPrefix(path, "/api/") || path == "/api" {
		return path + "/"
	}
	return path
}

// oaOperation is the part of an OpenAPI operation these tests read.
type oaOperation struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Description string                     `json:"description"`
	Tags        []string                   `json:"tags"`
	Security    *[]map[string][]string     `json:"security"`
	RequestBody json.RawMessage            `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

type oaDocument struct {
	OpenAPI  string                                `json:"openapi"`
	Security *[]map[string][]string                `json:"security"`
	Tags     []struct{ Name string }               `json:"tags"`
	Paths    map[string]map[string]json.RawMessage `json:"paths"`
}

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// documentedOperations returns every operation of openapi.json by
// "METHOD /path".
func documentedOperations(t *testing.T) (oaDocument, map[string]oaOperation) {
	t.Helper()
	var doc oaDocument
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	ops := map[string]oaOperation{}
	for path, item := range doc.Paths {
		for key, raw := range item {
			if !slices.Contains(oaMethods, key) {
				continue
			}
			var op oaOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", key, path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return doc, ops
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	routes := registeredRoutes(t)
	_, ops := documentedOperations(t)
	var missing, extra []string
	for _, r := range sortedKeys(routes) {
		if _, ok := ops[r]; !ok {
			missing = append(missing, r)
		}
	}
	for _, op := range sortedKeys(ops) {
		if _, ok := routes[op]; !ok {
			extra = append(extra, op)
		}
	}
	if len(missing) > 0 {
		t.Errorf("routes of routes.go with no operation in openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("operations of openapi.json that routes.go does not register:\n  %s", strings.Join(extra, "\n  "))
	}
}

// TestOpenAPISecurityMatchesRoutes checks that exactly the routes that
// refuse an anonymous request declare bearerAuth. Each handler is called
// with no user and no services: a protected one answers 401 before it
// touches anything; an open one goes on and fails on a nil service.
func TestOpenAPISecurityMatchesRoutes(t *testing.T) {
	doc, ops := documentedOperations(t)
	routes := registeredRoutes(t)
	for _, route := range sortedKeys(routes) {
		h := routes[route]
		op, ok := ops[route]
		if !ok {
			continue // TestOpenAPIDocumentsEveryRoute reports it
		}
		method, path, _ := strings.Cut(route, " ")
		r := httptest.NewRequest(method, strings.ReplaceAll(path, "{id}", "1"), nil)
		r.SetPathValue("id", "1")
		rec := httptest.NewRecorder()
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(rec, r)
		}()
		var body errorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		protected := rec.Code == http.StatusUnauthorized && body.Code == "not_authenticated"

		security := doc.Security
		if op.Security != nil {
			security = op.Security
		}
		declared := security != nil && len(*security) > 0
		if declared {
			for _, req := range *security {
				if _, ok := req["bearerAuth"]; !ok || len(req) != 1 {
					declared = false // an alternative without bearerAuth makes it optional
				}
			}
		}
		if protected != declared {
			t.Errorf("%s: the route refuses anonymous requests = %v, openapi.json requires bearerAuth = %v", route, protected, declared)
		}
	}
}

func TestOpenAPIIsValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapiJSON)
	if err != nil {
		t.Fatalf("libopenapi.NewDocument: %v", err)
	}
	if got := doc.GetVersion(); got != "3.1.0" {
		t.Errorf("openapi version = %q, want 3.1.0", got)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("BuildV3Model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator.NewValidator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s", describeValidationError(e))
		}
	}
}

// TestOpenAPIConventions checks the rules every operation of the document
// keeps: identified, summarised, tagged, and listing the errors it can give.
func TestOpenAPIConventions(t *testing.T) {
	doc, ops := documentedOperations(t)
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	ids := map[string]string{}
	for _, key := range sortedKeys(ops) {
		op := ops[key]
		_, path, _ := strings.Cut(key, " ")
		if op.OperationID == "" || op.Summary == "" || op.Description == "" || len(op.Tags) == 0 {
			t.Errorf("%s: operationId %q, summary %q, description %q, tags %v: all are required", key, op.OperationID, op.Summary, op.Description, op.Tags)
		}
		if other, dup := ids[op.OperationID]; dup {
			t.Errorf("%s: operationId %q is also used by %s", key, op.OperationID, other)
		}
		ids[op.OperationID] = key
		for _, tag := range op.Tags {
			if !tags[tag] {
				t.Errorf("%s: tag %q is not declared in the document's tags", key, tag)
			}
		}
		var want []string
		if op.Security != nil && len(*op.Security) > 0 {
			want = append(want, "401")
		}
		if strings.HasPrefix(path, "/api/") {
			want = append(want, "401", "500", "503")
		}
		if op.RequestBody != nil {
			want = append(want, "400", "413", "415")
		}
		if strings.Contains(path, "{") {
			want = append(want, "404")
		}
		for _, code := range want {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s: lists no %s response", key, code)
			}
		}
	}

	// Response objects list every property as required, and nothing else.
	var components struct {
		Components struct {
			Schemas map[string]struct {
				Properties           map[string]json.RawMessage `json:"properties"`
				Required             []string                   `json:"required"`
				AdditionalProperties json.RawMessage            `json:"additionalProperties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiJSON, &components); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(components.Components.Schemas) {
		s := components.Components.Schemas[name]
		if string(s.AdditionalProperties) != "false" {
			continue // request bodies ignore unknown keys; only responses are closed
		}
		req := slices.Clone(s.Required)
		sort.Strings(req)
		if diff := cmp.Diff(sortedKeys(s.Properties), req); diff != "" {
			t.Errorf("schema %s: required does not list exactly its properties (-properties +required):\n%s", name, diff)
		}
	}
}

// describeValidationError renders a validator error with its schema
// failures, which carry the useful detail, one to a line.
func describeValidationError(e *validationerrors.ValidationError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Message, e.Reason)
	if e.SpecLine > 0 {
		fmt.Fprintf(&b, " (openapi.json line %d)", e.SpecLine)
	}
	for _, f := range e.SchemaValidationErrors {
		fmt.Fprintf(&b, "\n      %s: %s", firstNonEmpty(f.FieldPath, f.KeywordLocation, "(body)"), f.Reason)
	}
	return b.String()
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
