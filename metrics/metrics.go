// Package metrics exports the service's Prometheus metrics: requests by
// route pattern, latency, requests in flight, logins, throttling, the
// audit trail's batches and the database pool.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors, in a registry of its own so that tests
// and several servers in one process do not collide.
type Metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	logins     *prometheus.CounterVec
	throttled  *prometheus.CounterVec
	auditBatch prometheus.Histogram
	auditLag   prometheus.Histogram
	// series caches each request series' collectors by label values:
	// WithLabelValues hashes its labels and takes a lock on every call.
	series sync.Map // seriesKey → requestSeries
}

type seriesKey struct {
	route, method string
	status        int
}

type requestSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// New registers every collector, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthcare_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "healthcare_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "healthcare_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthcare_logins_total", Help: "Login attempts by result (ok, failed).",
		}, []string{"result"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "healthcare_throttled_requests_total", Help: "Requests refused by a rate limit, by limit.",
		}, []string{"limit"}),
		auditBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "healthcare_audit_batch_events", Help: "Events per audit group commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		auditLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "healthcare_audit_lag_seconds", Help: "Time from an audit event's queueing to its commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.inFlight, m.logins, m.throttled, m.auditBatch, m.auditLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Request counts one finished request. Every label takes its value from a
// small fixed set, never from the client unbounded: the route is a pattern
// of the server's own, and other methods and statuses are each one value.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	key := seriesKey{route, MethodLabel(method), status}
	s, ok := m.series.Load(key)
	if !ok {
		s, _ = m.series.LoadOrStore(key, requestSeries{
			count:   m.requests.WithLabelValues(key.route, key.method, statusLabel(status)),
			latency: m.duration.WithLabelValues(key.route, key.method),
		})
	}
	series := s.(requestSeries)
	series.count.Inc()
	series.latency.Observe(d.Seconds())
}

// MethodLabel is the method's label value: itself for the methods of
// RFC 9110 and PATCH, "other" for anything else a client may invent.
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// statusLabel is a status code's label value; one outside 100–599 is "other".
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

// InFlight moves the in-flight gauge.
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// Login counts a login attempt.
func (m *Metrics) Login(ok bool) {
	if ok {
		m.logins.WithLabelValues("ok").Inc()
	} else {
		m.logins.WithLabelValues("failed").Inc()
	}
}

// Throttled counts a request refused by the named limit.
func (m *Metrics) Throttled(limit string) { m.throttled.WithLabelValues(limit).Inc() }

// AuditBatch records one group commit: its size and how long its oldest
// event waited.
func (m *Metrics) AuditBatch(events int, oldest time.Duration) {
	m.auditBatch.Observe(float64(events))
	m.auditLag.Observe(oldest.Seconds())
}

// DBPool exports the connection pool's state, read at each scrape.
func (m *Metrics) DBPool(stats func() sql.DBStats) {
	gauge := func(name, help string, f func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(stats()) })
	}
	counter := func(name, help string, f func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return f(stats()) })
	}
	m.registry.MustRegister(
		gauge("healthcare_db_connections_open", "Open database connections.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		gauge("healthcare_db_connections_in_use", "Database connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }),
		gauge("healthcare_db_connections_idle", "Idle database connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }),
		gauge("healthcare_db_connections_max", "Most database connections allowed.", func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
		counter("healthcare_db_wait_total", "Waits for a free database connection.", func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
		counter("healthcare_db_wait_seconds_total", "Time spent waiting for a database connection.", func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
	)
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
