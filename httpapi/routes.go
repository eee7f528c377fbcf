package httpapi

import (
	"log/slog"
	"net/http"
)

// handler is what addRoutes registers on: a ServeMux, or in tests a
// recorder of the patterns.
type handler interface {
	Handle(pattern string, h http.Handler)
}

// addRoutes is the whole API surface. Patterns have no trailing slash; the
// router strips one from every request. openapi.json documents each one.
//
// A route authenticates only if wrapped: open routes take a token if one is
// sent (and refuse a bad one, as DRF does), auth routes require one. The
// routes that hand out or take back tokens read no access token at all, as
// simplejwt's views and the Django design's register view do, so an access
// token sent along with a login can never make its holder the login's actor.
func addRoutes(mux handler, logger *slog.Logger, cfg Config, svc Services) {
	open := func(h http.Handler) http.Handler { return authenticate(svc.Auth, logger, h) }
	auth := func(h http.Handler) http.Handler { return open(requireUser(logger, h)) }
	authLimited := func(h http.Handler) http.Handler {
		return throttled(logger, svc.Metrics, svc.Throttle, cfg.AuthLimit, "auth", byClientAddr("auth"), h)
	}
	doctorWrite := func(h http.Handler) http.Handler {
		return auth(throttled(logger, svc.Metrics, svc.Throttle, cfg.DoctorWriteLimit, "doctor_write", byUser("doctor_write"), h))
	}

	mux.Handle("POST /api/auth/register", authLimited(handleRegister(logger, svc.Auth)))
	mux.Handle("POST /api/auth/login", authLimited(handleLogin(logger, svc.Auth, svc.Metrics)))
	mux.Handle("POST /api/auth/refresh", authLimited(handleRefresh(logger, svc.Auth)))
	mux.Handle("POST /api/auth/logout", handleLogout(logger, svc.Auth))
	mux.Handle("GET /api/auth/me", auth(handleMe()))
	mux.Handle("POST /api/auth/password", auth(handlePasswordChange(logger, svc.Auth)))

	mux.Handle("GET /api/patients", auth(handlePatientsList(logger, svc.Patients)))
	mux.Handle("POST /api/patients", auth(handlePatientCreate(logger, svc.Patients)))
	mux.Handle("GET /api/patients/{id}", auth(handlePatientGet(logger, svc.Patients)))
	mux.Handle("PUT /api/patients/{id}", auth(handlePatientUpdate(logger, svc.Patients, false)))
	mux.Handle("PATCH /api/patients/{id}", auth(handlePatientUpdate(logger, svc.Patients, true)))
	mux.Handle("DELETE /api/patients/{id}", auth(handlePatientDelete(logger, svc.Patients)))
	mux.Handle("GET /api/patients/{id}/doctors", auth(handlePatientDoctors(logger, svc.Assignments)))

	mux.Handle("GET /api/doctors", open(handleDoctorsList(logger, svc.Doctors)))
	mux.Handle("POST /api/doctors", doctorWrite(handleDoctorCreate(logger, svc.Doctors)))
	mux.Handle("GET /api/doctors/{id}", open(handleDoctorGet(logger, svc.Doctors)))
	mux.Handle("PUT /api/doctors/{id}", doctorWrite(handleDoctorUpdate(logger, svc.Doctors, false)))
	mux.Handle("PATCH /api/doctors/{id}", doctorWrite(handleDoctorUpdate(logger, svc.Doctors, true)))
	mux.Handle("DELETE /api/doctors/{id}", doctorWrite(handleDoctorDelete(logger, svc.Doctors)))

	mux.Handle("POST /api/mappings", auth(handleAssignmentCreate(logger, svc.Assignments)))
	mux.Handle("GET /api/mappings", auth(handleAssignmentsList(logger, svc.Assignments)))
	mux.Handle("GET /api/mappings/{id}", auth(handlePatientDoctors(logger, svc.Assignments)))
	mux.Handle("DELETE /api/mappings/{id}", auth(handleAssignmentDelete(logger, svc.Assignments)))

	mux.Handle("GET /api/audit", auth(handleAuditList(logger, svc.Audit)))

	mux.Handle("GET /api/schema", handleSchema())
	mux.Handle("GET /api/docs", handleDocs(logger))
	mux.Handle("GET /api/docs/{file}", handleDocs(logger))

	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(logger, svc.Ready))
	if cfg.MetricsElsewhere {
		mux.Handle("GET /metrics", nopMetrics{}.Handler())
	} else {
		mux.Handle("GET /metrics", svc.Metrics.Handler())
	}
}
