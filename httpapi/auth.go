package httpapi

import (
	"net/http"

	"github.com/clinicapi/healthcare"
)

type userResponse struct {
	ID         int64  `json:"id"`
	Username   string `json:"username"`
	Email      string `json:"email"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	DateJoined string `json:"date_joined"`
}

func toUserResponse(u *healthcare.User) userResponse {
	return userResponse{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName,
		LastName: u.LastName, DateJoined: jsonTime(u.DateJoined)}
}

type tokenPairResponse struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

// loginResponse is a login's pair in simplejwt's order: its
// TokenObtainPairSerializer writes refresh first, its refresh view access
// first.
type loginResponse struct {
	Refresh string `json:"refresh"`
	Access  string `json:"access"`
}

// registrationFields are the fields of a registration, in the Django
// design's order (first_name and last_name are ours).
var registrationFields = []string{"username", "email", "password", "first_name", "last_name"}

func handleRegister(auth healthcare.AuthService) apiFunc {
	return inFieldOrder(registrationFields, func(w http.ResponseWriter, r *http.Request) error {
		body, err := decodeObject(w, r, registrationFields...)
		if err != nil {
			return err
		}
		var reg healthcare.Registration
		for _, f := range []struct {
			key string
			opt strOpt
			dst *string
		}{
			{"username", required, &reg.Username},
			{"email", required, &reg.Email},
			{"password", required | keepSpaces, &reg.Password},
			{"first_name", allowBlank, &reg.FirstName},
			{"last_name", allowBlank, &reg.LastName},
		} {
			if v := body.str(f.key, f.opt); v != nil {
				*f.dst = *v
			}
		}
		if err := body.err(); err != nil {
			return err
		}
		u, err := auth.Register(r.Context(), reg)
		if err != nil {
			return err
		}
		encode(w, http.StatusCreated, toUserResponse(u))
		return nil
	})
}

func handleLogin(auth healthcare.AuthService, metrics Metrics) apiFunc {
	return inFieldOrder([]string{"username", "password"}, func(w http.ResponseWriter, r *http.Request) error {
		body, err := decodeObject(w, r, "username", "password")
		if err != nil {
			return err
		}
		username := body.str("username", required)
		password := body.str("password", required|keepSpaces)
		if err := body.err(); err != nil {
			return err
		}
		pair, err := auth.Login(r.Context(), *username, *password)
		switch healthcare.ErrorCode(err) {
		case "":
			metrics.Login(true)
		case healthcare.ENOACTIVEACCOUNT:
			metrics.Login(false)
		case healthcare.ETHROTTLED:
			metrics.Login(false)
			metrics.Throttled("login")
		}
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, loginResponse{Refresh: pair.Refresh, Access: pair.Access})
		return nil
	})
}

// readRefresh reads the {refresh} body of refresh and logout.
func readRefresh(w http.ResponseWriter, r *http.Request) (string, error) {
	body, err := decodeObject(w, r, "refresh")
	if err != nil {
		return "", err
	}
	refresh := body.str("refresh", required)
	if err := body.err(); err != nil {
		return "", err
	}
	return *refresh, nil
}

func handleRefresh(auth healthcare.AuthService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		refresh, err := readRefresh(w, r)
		if err != nil {
			return err
		}
		pair, err := auth.Refresh(r.Context(), refresh)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, tokenPairResponse{Access: pair.Access, Refresh: pair.Refresh})
		return nil
	}
}

func handleLogout(auth healthcare.AuthService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		refresh, err := readRefresh(w, r)
		if err != nil {
			return err
		}
		if err := auth.Logout(r.Context(), refresh); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func handlePasswordChange(auth healthcare.AuthService) apiFunc {
	return inFieldOrder([]string{"old_password", "new_password"}, func(w http.ResponseWriter, r *http.Request) error {
		body, err := decodeObject(w, r, "old_password", "new_password")
		if err != nil {
			return err
		}
		oldPassword := body.str("old_password", required|keepSpaces)
		newPassword := body.str("new_password", required|keepSpaces)
		if err := body.err(); err != nil {
			return err
		}
		if err := auth.ChangePassword(r.Context(), *oldPassword, *newPassword); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func handleMe() apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		encode(w, http.StatusOK, toUserResponse(healthcare.UserFromContext(r.Context())))
		return nil
	}
}
