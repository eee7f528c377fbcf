package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/clinicapi/healthcare"
)

// authenticate puts the user of a valid Bearer token in the context. A
// request without one goes on anonymously; a bad token is refused.
func authenticate(auth healthcare.AuthService, next apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		header := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(header, " ")
		if header == "" || !strings.EqualFold(scheme, "Bearer") {
			return next(w, r)
		}
		token = strings.TrimSpace(token)
		if token == "" || strings.Contains(token, " ") {
			return healthcare.Errorf(healthcare.ETOKENINVALID, "Authorization header must contain two space-delimited values")
		}
		u, err := auth.Authenticate(r.Context(), token)
		if err != nil {
			return err
		}
		if p, ok := r.Context().Value(userKey{}).(*int64); ok {
			*p = u.ID
		}
		return next(w, r.WithContext(healthcare.NewContextWithUser(r.Context(), u)))
	}
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
