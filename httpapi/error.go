package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/clinicapi/healthcare"
)

// Codes of conditions that exist only in HTTP.
const (
	eParse            = "parse_error"
	eMethodNotAllowed = "method_not_allowed"
	eTooLarge         = "request_too_large"
	eUnsupportedMedia = "unsupported_media_type"
	eInvalidHost      = "invalid_host"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	healthcare.EINVALID:          http.StatusBadRequest,
	eParse:                       http.StatusBadRequest,
	eInvalidHost:                 http.StatusBadRequest,
	healthcare.ENOTAUTHENTICATED: http.StatusUnauthorized,
	healthcare.ETOKENINVALID:     http.StatusUnauthorized,
	healthcare.ENOACTIVEACCOUNT:  http.StatusUnauthorized,
	healthcare.EPERMISSION:       http.StatusForbidden,
	healthcare.ENOTFOUND:         http.StatusNotFound,
	eMethodNotAllowed:            http.StatusMethodNotAllowed,
	healthcare.EDOCTORASSIGNED:   http.StatusConflict,
	healthcare.EPRECONDITION:     http.StatusPreconditionFailed,
	eTooLarge:                    http.StatusRequestEntityTooLarge,
	eUnsupportedMedia:            http.StatusUnsupportedMediaType,
	healthcare.ETHROTTLED:        http.StatusTooManyRequests,
	healthcare.EUNAVAILABLE:      http.StatusServiceUnavailable,
	healthcare.EINTERNAL:         http.StatusInternalServerError,
}

// errorBody is the contract's shape for one problem.
type errorBody struct {
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// writeError writes err in the contract's shape with the status its code
// maps to. Only an unexpected error is logged: it is the one a client
// cannot learn anything from, so the log is where its cause goes.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if errors.Is(err, context.DeadlineExceeded) || (errors.Is(err, context.Canceled) && r.Context().Err() != nil) {
		// Out of time, or the client left: a busy database, not a bug.
		logger.WarnContext(r.Context(), "request ran out of time",
			"request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID, "route", routeOf(r), "err", err)
		err = &healthcare.Error{Code: healthcare.EUNAVAILABLE, RetryAfter: time.Second,
			Message: "The service is busy; try again shortly."}
	}
	if healthcare.ErrorCode(err) == healthcare.EINTERNAL && isUnavailable(r, err) {
		logger.WarnContext(r.Context(), "database unavailable",
			"request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID, "route", routeOf(r), "err", err)
		err = &healthcare.Error{Code: healthcare.EUNAVAILABLE, RetryAfter: 2 * time.Second,
			Message: "The database is unavailable; try again shortly."}
	}
	code := healthcare.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		code = healthcare.EINTERNAL
		logger.ErrorContext(r.Context(), "internal error",
			"request_id", healthcare.RequestInfoFromContext(r.Context()).RequestID,
			"method", r.Method, "route", r.Pattern, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	var e *healthcare.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if code == healthcare.EINVALID && errors.As(err, &e) && len(e.Fields) > 0 {
		encode(w, status, e.Fields)
		return
	}
	msg := healthcare.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		msg = "A server error occurred."
	}
	encode(w, status, errorBody{Detail: msg, Code: code})
}

func errNotFound() error { return healthcare.Errorf(healthcare.ENOTFOUND, healthcare.MsgNotFound) }

type unavailableKey struct{}

// withUnavailable makes the outage test reachable from writeError, which
// every handler calls with no more than the request.
func withUnavailable(test func(error) bool, next http.Handler) http.Handler {
	if test == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), unavailableKey{}, test)))
	})
}

func isUnavailable(r *http.Request, err error) bool {
	test, ok := r.Context().Value(unavailableKey{}).(func(error) bool)
	return ok && test(err)
}

// errorf makes an HTTP-only error.
func errorf(code, msg string) error { return &healthcare.Error{Code: code, Message: msg} }
