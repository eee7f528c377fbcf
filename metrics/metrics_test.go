package metrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// No label value comes from the client unbounded: a thousand invented
// methods and statuses add one series each, not a thousand.
func TestLabelsAreBounded(t *testing.T) {
	m := New()
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	m.Request("GET /api/patients", "GET", 200, time.Millisecond)
	before := len(scrape())
	for i := range 1000 {
		m.Request("GET /api/patients", fmt.Sprintf("XQWERTY%d", i), 405, time.Millisecond)
		m.Request("unmatched", strings.Repeat("M", i), 1000+i, time.Millisecond)
	}
	after := scrape()
	if grown := len(after) - before; grown > 8<<10 {
		t.Errorf("1,000 invented methods and statuses grew /metrics by %d bytes; want a few series", grown)
	}
	for _, want := range []string{`method="other",route="GET /api/patients",status="405"`, `status="other"`} {
		if !strings.Contains(after, want) {
			t.Errorf("/metrics has no series with %s", want)
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodOptions} {
		if MethodLabel(m) != m {
			t.Errorf("MethodLabel(%s) = %s", m, MethodLabel(m))
		}
	}
}
