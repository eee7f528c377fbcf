package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"slices"
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
	eNotAcceptable    = "not_acceptable"
	eInvalidHost      = "invalid_host"
	// eBadAuthorizationHeader is simplejwt's code for a Bearer header
	// without exactly one token.
	eBadAuthorizationHeader = "bad_authorization_header"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	healthcare.EINVALID:          http.StatusBadRequest,
	eParse:                       http.StatusBadRequest,
	eInvalidHost:                 http.StatusBadRequest,
	healthcare.ENOTAUTHENTICATED: http.StatusUnauthorized,
	healthcare.ETOKENINVALID:     http.StatusUnauthorized,
	healthcare.ENOACTIVEACCOUNT:  http.StatusUnauthorized,
	healthcare.EUSERNOTFOUND:     http.StatusUnauthorized,
	healthcare.EUSERINACTIVE:     http.StatusUnauthorized,
	eBadAuthorizationHeader:      http.StatusUnauthorized,
	healthcare.EPERMISSION:       http.StatusForbidden,
	healthcare.ENOTFOUND:         http.StatusNotFound,
	eMethodNotAllowed:            http.StatusMethodNotAllowed,
	healthcare.EDOCTORASSIGNED:   http.StatusConflict,
	healthcare.EPRECONDITION:     http.StatusPreconditionFailed,
	eTooLarge:                    http.StatusRequestEntityTooLarge,
	eUnsupportedMedia:            http.StatusUnsupportedMediaType,
	eNotAcceptable:               http.StatusNotAcceptable,
	healthcare.ETHROTTLED:        http.StatusTooManyRequests,
	healthcare.EUNAVAILABLE:      http.StatusServiceUnavailable,
	healthcare.EINTERNAL:         http.StatusInternalServerError,
}

// errorBody is the contract's shape for one problem.
type errorBody struct {
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// apiFunc is a handler that returns its error; errorWriter.handle writes it.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// errorWriter writes every error response, through the one status table:
// it logs the unexpected, and tells a database outage (a 503 the client may
// retry) from a bug (a 500).
type errorWriter struct {
	logger      *slog.Logger
	unavailable func(error) bool // nil: no error is an outage
}

// handle adapts h to an http.Handler, writing the error it returns.
func (ew *errorWriter) handle(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			ew.write(w, r, err)
		}
	})
}

// write writes err in the contract's shape with the status its code maps
// to. Only an unexpected error is logged: it is the one a client cannot
// learn anything from, so the log is where its cause goes.
func (ew *errorWriter) write(w http.ResponseWriter, r *http.Request, err error) {
	requestID := healthcare.RequestInfoFromContext(r.Context()).RequestID
	if te, ok := errors.AsType[accessTokenError](err); ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		encode(w, http.StatusUnauthorized, te.body())
		return
	}
	if errors.Is(err, context.DeadlineExceeded) || (errors.Is(err, context.Canceled) && r.Context().Err() != nil) {
		// Out of time, or the client left: a busy database, not a bug.
		ew.logger.WarnContext(r.Context(), "request ran out of time", "request_id", requestID, "route", routeOf(r), "err", err)
		err = &healthcare.Error{Code: healthcare.EUNAVAILABLE, RetryAfter: time.Second,
			Message: "The service is busy; try again shortly."}
	}
	if healthcare.ErrorCode(err) == healthcare.EINTERNAL && ew.unavailable != nil && ew.unavailable(err) {
		ew.logger.WarnContext(r.Context(), "database unavailable", "request_id", requestID, "route", routeOf(r), "err", err)
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
		ew.logger.ErrorContext(r.Context(), "internal error",
			"request_id", requestID, "method", truncate(r.Method, 16), "route", routeOf(r), "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	var e *healthcare.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if code == healthcare.EINVALID && errors.As(err, &e) && len(e.Fields) > 0 {
		order, _ := errors.AsType[fieldsInOrder](err)
		encode(w, status, orderedFields{fields: e.Fields, order: order.order})
		return
	}
	msg := healthcare.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		msg = "A server error occurred."
	}
	encode(w, status, errorBody{Detail: msg, Code: code})
}

// httpError makes an error of a condition that exists only in HTTP.
func httpError(code, msg string) error { return &healthcare.Error{Code: code, Message: msg} }

// inFieldOrder makes h's validation errors list their fields in order, as
// a DRF serializer lists them: in the order of its fields.
func inFieldOrder(order []string, h apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if e, ok := errors.AsType[*healthcare.Error](err); ok && len(e.Fields) > 0 {
			return fieldsInOrder{err: err, order: order}
		}
		return err
	}
}

// fieldsInOrder is a validation error with the order of its fields.
type fieldsInOrder struct {
	err   error
	order []string
}

func (f fieldsInOrder) Error() string { return f.err.Error() }
func (f fieldsInOrder) Unwrap() error { return f.err }

// orderedFields encodes field errors with the fields in order first, then
// any others by name, and non_field_errors last.
type orderedFields struct {
	fields map[string][]string
	order  []string
}

func (o orderedFields) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(o.fields))
	for _, k := range o.order {
		if _, ok := o.fields[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range o.fields {
		if !slices.Contains(o.order, k) && k != healthcare.NonFieldErrors {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)
	if _, ok := o.fields[healthcare.NonFieldErrors]; ok {
		keys = append(keys, healthcare.NonFieldErrors)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		msgs, err := json.Marshal(o.fields[k])
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(msgs)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
