package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/clinicapi/healthcare"
)

// authenticate puts the user of a valid Bearer token in the context, read
// as simplejwt reads the header: split on whitespace, "Bearer" exactly,
// then one token. A request without one goes on anonymously; a bad token
// is refused. Two Authorization headers are refused: which one counts
// would depend on who reads them.
func authenticate(auth healthcare.AuthService, next apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		headers := r.Header.Values("Authorization")
		if len(headers) > 1 {
			return errBadAuthorizationHeader()
		}
		var parts []string
		if len(headers) == 1 {
			parts = strings.FieldsFunc(headers[0], isASCIISpace)
		}
		if len(parts) == 0 || parts[0] != "Bearer" {
			return next(w, r)
		}
		if len(parts) != 2 {
			return errBadAuthorizationHeader()
		}
		u, err := auth.Authenticate(r.Context(), parts[1])
		if healthcare.ErrorCode(err) == healthcare.ETOKENINVALID && healthcare.ErrorMessage(err) != healthcare.MsgTokenNoUser {
			return accessTokenError{reason: healthcare.ErrorMessage(err)}
		} else if err != nil {
			return err
		}
		NoteUser(r.Context(), u.ID)
		return next(w, r.WithContext(healthcare.NewContextWithUser(r.Context(), u)))
	}
}

// isASCIISpace is what Python's bytes.split() splits on.
func isASCIISpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

func errBadAuthorizationHeader() error {
	return healthcare.Errorf(eBadAuthorizationHeader, "Authorization header must contain two space-delimited values")
}

// accessTokenError is an access token that is not valid, answered with
// simplejwt's own body: the reason is in messages, as simplejwt tries each
// of its token classes (here, one) and lists why each refused it.
type accessTokenError struct{ reason string }

func (e accessTokenError) Error() string { return "access token not valid: " + e.reason }

type accessTokenBody struct {
	Detail   string               `json:"detail"`
	Code     string               `json:"code"`
	Messages []tokenClassMessages `json:"messages"`
}

type tokenClassMessages struct {
	TokenClass string `json:"token_class"`
	TokenType  string `json:"token_type"`
	Message    string `json:"message"`
}

func (e accessTokenError) body() accessTokenBody {
	return accessTokenBody{Detail: "Given token not valid for any token type", Code: healthcare.ETOKENINVALID,
		Messages: []tokenClassMessages{{TokenClass: "AccessToken", TokenType: "access", Message: e.reason}}}
}

// requireUser refuses anonymous requests.
func requireUser(next apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if healthcare.UserFromContext(r.Context()) == nil {
			return healthcare.NotAuthenticated()
		}
		return next(w, r)
	}
}

// throttled counts each request against limit under the key that keyOf
// gives, and refuses it with 429 past the limit.
func throttled(metrics Metrics, throttle healthcare.Throttle, limit healthcare.Limit, scope string, keyOf func(*http.Request) string, next apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := throttle.Hit(r.Context(), keyOf(r), limit); err != nil {
			if healthcare.ErrorCode(err) == healthcare.ETHROTTLED {
				metrics.Throttled(scope)
			}
			return err
		}
		return next(w, r)
	}
}

func byClientAddr(scope string) func(*http.Request) string {
	return func(r *http.Request) string {
		return scope + ":addr:" + healthcare.RequestInfoFromContext(r.Context()).ClientAddr
	}
}

func byUser(scope string) func(*http.Request) string {
	return func(r *http.Request) string {
		return scope + ":user:" + strconv.FormatInt(healthcare.UserIDFromContext(r.Context()), 10)
	}
}
