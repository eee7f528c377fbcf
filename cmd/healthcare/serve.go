package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clinicapi/healthcare/httpapi"
	"github.com/clinicapi/healthcare/httpapi/console"
	"github.com/clinicapi/healthcare/jwt"
	"github.com/clinicapi/healthcare/metrics"
	"github.com/clinicapi/healthcare/password"
	"github.com/clinicapi/healthcare/sqlstore"
)

// serve runs the API until ctx ends, then stops so that every connection
// the kernel accepted gets its answer (stopServing).
func serve(ctx context.Context, cfg *config, logger *slog.Logger) error {
	if err := preflight(cfg, logger); err != nil {
		return err
	}
	m := metrics.New()
	db, err := openServing(ctx, cfg, logger, m)
	if err != nil {
		return err
	}
	defer db.Close() // after the server: flushes queued audit events, then the pool
	// Once shutdown begins, /readyz answers 503 so that a load balancer
	// stops sending new requests while the last ones finish.
	var draining atomic.Bool
	ready := func(ctx context.Context) error {
		if draining.Load() {
			return errors.New("shutting down")
		}
		return db.Ready(ctx)
	}
	handler, err := newAPIHandler(cfg, logger, db, m, ready)
	if err != nil {
		return err
	}
	conns := newConnTracker()
	srv := newHTTPServer(cfg, logger, handler, conns.track)
	if cfg.MetricsAddr != "" {
		// Up before the API, so a bad METRICS_ADDR stops start-up and
		// ready means scrapeable.
		stop, err := serveMetrics(cfg, logger, m)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close() // in case Serve never ran; after a drain, a no-op
	logger.Info("listening", "addr", ln.Addr().String(), "tls", cfg.TLSCertFile != "", "database", db.Engine(),
		"debug", cfg.Debug, "allowed_hosts", cfg.AllowedHosts, "secret_key", cfg.SecretKeySource,
		"access_token_lifetime", cfg.AccessLifetime.String(), "refresh_token_lifetime", cfg.RefreshLifetime.String())
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCertFile != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	go sweep(ctx, logger, db, max(cfg.LoginLimit.Window, cfg.AuthLimit.Window, cfg.DoctorLimit.Window))
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	draining.Store(true)
	if cfg.ShutdownDelay > 0 {
		// Keep serving while load balancers notice /readyz (Kubernetes
		// takes a few seconds to drop an endpoint).
		logger.Info("draining", "delay", cfg.ShutdownDelay.String())
		time.Sleep(cfg.ShutdownDelay)
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	if err := stopServing(srv, ln, errc, conns, cfg.ShutdownTimeout, logger); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// preflight makes the embedded database's key if it has none, and refuses
// an unsafe configuration (healthcare check lists the same problems).
func preflight(cfg *config, logger *slog.Logger) error {
	generated, err := ensureSecretKey(cfg)
	if err != nil {
		return err
	}
	if generated {
		logger.Warn("no SECRET_KEY set: generated one for the embedded database; set SECRET_KEY in production",
			"file", cfg.SecretKeySource)
	}
	problems := cfg.problems()
	if len(problems) == 0 {
		return nil
	}
	if !cfg.Debug {
		return fmt.Errorf("refusing to start: the configuration is unsafe for production; fix each of these:\n  %s",
			strings.Join(problems, "\n  "))
	}
	for _, p := range problems {
		logger.Warn("unsafe configuration, allowed because DEBUG is on; never run so in production", "problem", p)
	}
	return nil
}

// openServing opens the database with the metrics watching it, and
// migrates it if AUTO_MIGRATE is on.
func openServing(ctx context.Context, cfg *config, logger *slog.Logger, m *metrics.Metrics) (*sqlstore.DB, error) {
	db, err := openDB(ctx, cfg, sqlstore.Options{AuditBatch: m.AuditBatch, Logger: logger,
		UserCacheMaxAge: cfg.UserCacheMaxAge})
	if err != nil {
		return nil, err
	}
	m.DBPool(db.Stats)
	if cfg.AutoMigrate {
		n, err := db.Migrate(ctx)
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		if n > 0 {
			logger.Info("applied migrations", "count", n)
		}
	}
	return db, nil
}

// newAPIHandler wires the store's services into the API's handler.
func newAPIHandler(cfg *config, logger *slog.Logger, db *sqlstore.DB, m *metrics.Metrics, ready func(context.Context) error) (http.Handler, error) {
	auth, err := newAuthService(cfg, db)
	if err != nil {
		return nil, err
	}
	sessions := sqlstore.NewSessionService(auth)
	sessions.Idle, sessions.Lifetime = cfg.Console.Idle, cfg.Console.Lifetime
	adminConsole := console.NewHandler(logger, console.Config{
		AuthLimit: cfg.AuthLimit, SecureCookies: cfg.Console.SecureCookies, Unavailable: sqlstore.IsUnavailable,
		Key:     consoleKey(cfg.SecretKey),
		Metrics: m, NoteRoute: httpapi.NoteRoute, NoteUser: httpapi.NoteUser,
	}, console.Services{
		Sessions: sessions,
		Staff:    sqlstore.NewStaffService(auth),
		Doctors:  sqlstore.NewDoctorService(db),
		Audit:    sqlstore.NewAuditService(db),
		Throttle: sqlstore.NewThrottle(db),
	})
	return httpapi.NewHandler(logger, httpapi.Config{
		AllowedHosts: cfg.AllowedHosts, TrustedProxies: cfg.TrustedProxies,
		AuthLimit: cfg.AuthLimit, DoctorWriteLimit: cfg.DoctorLimit,
		CORSAllowedOrigins: cfg.CORSOrigins, RequestTimeout: cfg.RequestTimeout,
		Unavailable: sqlstore.IsUnavailable, MetricsElsewhere: cfg.MetricsAddr != "",
	}, httpapi.Services{
		Auth:        auth,
		Patients:    sqlstore.NewPatientService(db),
		Doctors:     sqlstore.NewDoctorService(db),
		Assignments: sqlstore.NewAssignmentService(db),
		Audit:       sqlstore.NewAuditService(db),
		Throttle:    sqlstore.NewThrottle(db),
		Ready:       ready,
		Metrics:     m,
		Console:     adminConsole,
	}), nil
}

// newHTTPServer is the API's server, with the connection limits of the
// configuration.
func newHTTPServer(cfg *config, logger *slog.Logger, handler http.Handler, connState func(net.Conn, http.ConnState)) *http.Server {
	return &http.Server{
		Handler:           handler,
		ConnState:         connState,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		// "OPTIONS *" reaches the handler, which answers it as any path of
		// no route (404, logged, with a request id), rather than net/http's
		// own empty 200 past the Host check and the access log.
		DisableGeneralOptionsHandler: true,
	}
}

// serveMetrics serves the metrics (and the profiler, with PPROF) on
// METRICS_ADDR, a port of their own for the scraper's network only.
func serveMetrics(cfg *config, logger *slog.Logger, m *metrics.Metrics) (stop func(), err error) {
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: listen on %s: %w", cfg.MetricsAddr, err)
	}
	srv := &http.Server{Handler: adminHandler(m.Handler(), cfg.Pprof), ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout: cfg.HTTP.ReadTimeout, WriteTimeout: cfg.HTTP.WriteTimeout, IdleTimeout: cfg.HTTP.IdleTimeout}
	go func() { _ = srv.Serve(ln) }()
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

// sweep deletes stale throttle counters and expired refresh tokens every
// few minutes. Every instance may run it; the deletes are idempotent.
func sweep(ctx context.Context, logger *slog.Logger, db *sqlstore.DB, maxWindow time.Duration) {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := db.DeleteExpired(ctx, maxWindow); err != nil {
				logger.Warn("sweep expired rows", "err", err)
			}
		}
	}
}

func newAuthService(cfg *config, db *sqlstore.DB) (*sqlstore.AuthService, error) {
	hasher, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return nil, err
	}
	hasher.Limit(cfg.HashConcurrency, cfg.HashWait)
	policy, err := password.NewPolicy()
	if err != nil {
		return nil, err
	}
	signer, err := jwt.NewSigner(cfg.SecretKey, cfg.AccessLifetime, cfg.RefreshLifetime)
	if err != nil {
		return nil, err
	}
	signer.SetFallbackKeys(cfg.SecretKeyFallbacks...)
	auth := sqlstore.NewAuthService(db, hasher, policy, signer)
	auth.LoginLimit = cfg.LoginLimit
	return auth, nil
}

// adminHandler serves the metrics and, if asked, Go's profiler, for the
// METRICS_ADDR listener.
func adminHandler(metrics http.Handler, profiler bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	if profiler {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
