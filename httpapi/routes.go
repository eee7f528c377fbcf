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
// Each route says who may call it, as the Django design's views do:
// anyone (no token is read: the routes that hand out or take back tokens,
// as simplejwt's views and the design's register view read none, so an
// access token sent along with a login never makes its holder the login's
// actor), reader (a token is read if sent, and a bad one refused, as DRF
// does) or user (a token is required).
func addRoutes(mux handler, paths *pathTable, ew *errorWriter, cfg Config, svc Services) {
	route := func(pattern string, acc access, h apiFunc) {
		switch acc {
		case reader:
			h = authenticate(svc.Auth, h)
		case user:
			h = authenticate(svc.Auth, requireUser(h))
		}
		paths.add(pattern, acc)
		mux.Handle(pattern, ew.handle(h))
	}
	authLimited := func(h apiFunc) apiFunc {
		return throttled(svc.Metrics, svc.Throttle, cfg.AuthLimit, "auth", byClientAddr("auth"), h)
	}
	doctorWrite := func(h apiFunc) apiFunc {
		return throttled(svc.Metrics, svc.Throttle, cfg.DoctorWriteLimit, "doctor_write", byUser("doctor_write"), h)
	}

	// DefaultRouter's root, under the design's default permission.
	route("GET /api", user, handleAPIRoot())

	route("POST /api/auth/register", anyone, authLimited(handleRegister(svc.Auth)))
	route("POST /api/auth/login", anyone, authLimited(handleLogin(svc.Auth, svc.Metrics)))
	route("POST /api/auth/refresh", anyone, authLimited(handleRefresh(svc.Auth)))
	route("POST /api/auth/logout", anyone, handleLogout(svc.Auth))
	route("GET /api/auth/me", user, handleMe())
	route("POST /api/auth/password", user, handlePasswordChange(svc.Auth))

	route("GET /api/patients", user, handlePatientsList(svc.Patients))
	route("POST /api/patients", user, handlePatientCreate(svc.Patients))
	route("GET /api/patients/{id}", user, handlePatientGet(svc.Patients))
	route("PUT /api/patients/{id}", user, handlePatientUpdate(svc.Patients, false))
	route("PATCH /api/patients/{id}", user, handlePatientUpdate(svc.Patients, true))
	route("DELETE /api/patients/{id}", user, handlePatientDelete(svc.Patients))
	route("GET /api/patients/{id}/doctors", user, handlePatientDoctors(svc.Assignments))

	route("GET /api/doctors", reader, handleDoctorsList(svc.Doctors))
	route("POST /api/doctors", user, doctorWrite(handleDoctorCreate(svc.Doctors)))
	route("GET /api/doctors/{id}", reader, handleDoctorGet(svc.Doctors))
	route("PUT /api/doctors/{id}", user, doctorWrite(handleDoctorUpdate(svc.Doctors, false)))
	route("PATCH /api/doctors/{id}", user, doctorWrite(handleDoctorUpdate(svc.Doctors, true)))
	route("DELETE /api/doctors/{id}", user, doctorWrite(handleDoctorDelete(svc.Doctors)))

	route("POST /api/mappings", user, handleAssignmentCreate(svc.Assignments))
	route("GET /api/mappings", user, handleAssignmentsList(svc.Assignments))
	route("GET /api/mappings/{id}", user, handlePatientDoctors(svc.Assignments))
	route("DELETE /api/mappings/{id}", user, handleAssignmentDelete(svc.Assignments))

	route("GET /api/audit", user, handleAuditList(svc.Audit))

	route("GET /api/schema", anyone, handleSchema())
	route("GET /api/docs", anyone, handleDocs())
	route("GET /api/docs/{file}", anyone, handleDocs())

	route("GET /healthz", anyone, handleHealthz())
	route("GET /readyz", anyone, handleReadyz(ew.logger, svc.Ready))
	metrics := svc.Metrics.Handler()
	if metrics == nil || cfg.MetricsElsewhere {
		metrics = ew.handle(func(http.ResponseWriter, *http.Request) error { return healthcare.NotFound() })
	}
	paths.add("GET /metrics", anyone)
	mux.Handle("GET /metrics", metrics)
}
