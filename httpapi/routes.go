package httpapi

import (
	"net/http"

	"github.com/clinicapi/healthcare"
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
func addRoutes(mux handler, ew *errorWriter, cfg Config, svc Services) {
	route := func(pattern string, h apiFunc) { mux.Handle(pattern, ew.handle(h)) }
	open := func(h apiFunc) apiFunc { return authenticate(svc.Auth, h) }
	auth := func(h apiFunc) apiFunc { return open(requireUser(h)) }
	authLimited := func(h apiFunc) apiFunc {
		return throttled(svc.Metrics, svc.Throttle, cfg.AuthLimit, "auth", byClientAddr("auth"), h)
	}
	doctorWrite := func(h apiFunc) apiFunc {
		return auth(throttled(svc.Metrics, svc.Throttle, cfg.DoctorWriteLimit, "doctor_write", byUser("doctor_write"), h))
	}

	route("POST /api/auth/register", authLimited(handleRegister(svc.Auth)))
	route("POST /api/auth/login", authLimited(handleLogin(svc.Auth, svc.Metrics)))
	route("POST /api/auth/refresh", authLimited(handleRefresh(svc.Auth)))
	route("POST /api/auth/logout", handleLogout(svc.Auth))
	route("GET /api/auth/me", auth(handleMe()))
	route("POST /api/auth/password", auth(handlePasswordChange(svc.Auth)))

	route("GET /api/patients", auth(handlePatientsList(svc.Patients)))
	route("POST /api/patients", auth(handlePatientCreate(svc.Patients)))
	route("GET /api/patients/{id}", auth(handlePatientGet(svc.Patients)))
	route("PUT /api/patients/{id}", auth(handlePatientUpdate(svc.Patients, false)))
	route("PATCH /api/patients/{id}", auth(handlePatientUpdate(svc.Patients, true)))
	route("DELETE /api/patients/{id}", auth(handlePatientDelete(svc.Patients)))
	route("GET /api/patients/{id}/doctors", auth(handlePatientDoctors(svc.Assignments)))

	route("GET /api/doctors", open(handleDoctorsList(svc.Doctors)))
	route("POST /api/doctors", doctorWrite(handleDoctorCreate(svc.Doctors)))
	route("GET /api/doctors/{id}", open(handleDoctorGet(svc.Doctors)))
	route("PUT /api/doctors/{id}", doctorWrite(handleDoctorUpdate(svc.Doctors, false)))
	route("PATCH /api/doctors/{id}", doctorWrite(handleDoctorUpdate(svc.Doctors, true)))
	route("DELETE /api/doctors/{id}", doctorWrite(handleDoctorDelete(svc.Doctors)))

	route("POST /api/mappings", auth(handleAssignmentCreate(svc.Assignments)))
	route("GET /api/mappings", auth(handleAssignmentsList(svc.Assignments)))
	route("GET /api/mappings/{id}", auth(handlePatientDoctors(svc.Assignments)))
	route("DELETE /api/mappings/{id}", auth(handleAssignmentDelete(svc.Assignments)))

	route("GET /api/audit", auth(handleAuditList(svc.Audit)))

	route("GET /api/schema", handleSchema())
	route("GET /api/docs", handleDocs())
	route("GET /api/docs/{file}", handleDocs())

	route("GET /healthz", handleHealthz())
	route("GET /readyz", handleReadyz(ew.logger, svc.Ready))
	if metrics := svc.Metrics.Handler(); metrics != nil && !cfg.MetricsElsewhere {
		mux.Handle("GET /metrics", metrics)
	} else {
		route("GET /metrics", func(http.ResponseWriter, *http.Request) error { return healthcare.NotFound() })
	}
}
