package healthcare

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Error codes. Their values are the "code" strings of the HTTP contract.
const (
	EINVALID            = "invalid"
	ENOTAUTHENTICATED   = "not_authenticated"
	ETOKENINVALID       = "token_not_valid"
	ENOACTIVEACCOUNT    = "no_active_account"
	EUSERNOTFOUND       = "user_not_found" // a valid token of an account that is gone
	EUSERINACTIVE       = "user_inactive"  // a valid token of a deactivated account
	EPERMISSION         = "permission_denied"
	ENOTFOUND           = "not_found"
	EDOCTORASSIGNED     = "doctor_assigned"
	EPRECONDITION       = "precondition_failed"
	ETHROTTLED          = "throttled"
	EUNAVAILABLE        = "service_unavailable"
	EINTERNAL           = "server_error"
	NonFieldErrors      = "non_field_errors"
	MsgRequired         = "This field is required."
	MsgNull             = "This field may not be null."
	MsgNullCharacters   = "Null characters are not allowed."
	MsgBlank            = "This field may not be blank."
	MsgNotString        = "Not a valid string."
	MsgInvalidInteger   = "A valid integer is required."
	MsgInvalidEmail     = "Enter a valid email address."
	MsgDateFormat       = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
	MsgNotFound         = "Not found."
	MsgNotAuthenticated = "Authentication credentials were not provided."
	MsgInvalidPage      = "Invalid page."
	MsgTokenInvalid     = "Token is invalid or expired"
	MsgTokenWrongType   = "Token has wrong type"
	MsgTokenNoType      = "Token has no type"                                   // #nosec G101 -- a message, not a credential
	MsgTokenNoID        = "Token has no id"                                     // #nosec G101 -- a message, not a credential
	MsgTokenNoUser      = "Token contained no recognizable user identification" // #nosec G101 -- likewise
	MsgNoActiveAccount  = "No active account found with the given credentials"
)

// Error is an error the API can show to a client: a code, a safe message, and
// for validation failures the problems by field.
type Error struct {
	Code    string
	Message string
	Fields  map[string][]string
	// RetryAfter tells a throttled or unavailable client when to come back.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("healthcare error: code=%s message=%s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Field names only: messages may quote input, and errors end up in logs.
	return fmt.Sprintf("healthcare error: code=%s fields=%v", e.Code, keys)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error in err's chain, or a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "A server error occurred."
}

// NotFound is the error of a record that does not exist, or is not the
// caller's: the two are told apart nowhere.
func NotFound() *Error { return Errorf(ENOTFOUND, MsgNotFound) }

// NotAuthenticated is the error of a request that needs a user and has none.
func NotAuthenticated() *Error { return Errorf(ENOTAUTHENTICATED, MsgNotAuthenticated) }

// Throttled is the error of a request over a rate limit.
func Throttled(retryAfter time.Duration) *Error {
	secs := int(math.Ceil(retryAfter.Seconds()))
	return &Error{Code: ETHROTTLED, RetryAfter: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf("Request was throttled. Expected available in %d seconds.", secs)}
}

// FieldErrors collects validation problems by field.
type FieldErrors map[string][]string

// Add records msg under field.
func (f FieldErrors) Add(field, msg string) { f[field] = append(f[field], msg) }

// Merge adds every problem of other.
func (f FieldErrors) Merge(other FieldErrors) {
	for k, msgs := range other {
		f[k] = append(f[k], msgs...)
	}
}

// Err returns nil when there are no problems, else an EINVALID *Error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Invalid input.", Fields: f}
}

// FieldError is an EINVALID error with one message under one field.
func FieldError(field, msg string) *Error {
	return &Error{Code: EINVALID, Message: "Invalid input.", Fields: map[string][]string{field: {msg}}}
}
