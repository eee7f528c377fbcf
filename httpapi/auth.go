package httpapi

import (
	"log/slog"
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

func handleRegister(logger *slog.Logger, auth healthcare.AuthService) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := decodeObject(w, r, "username", "email", "password", "first_name", "last_name")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		var reg healthcare.Registration
		if v := body.str("username", required); v != nil {
			reg.Username = *v
		}
		if v := body.str("email", required); v != nil {
			reg.Email = *v
		}
		if v := body.str("password", required|keepSpaces); v != nil {
			reg.Password = *v
		}
		if v := body.str("first_name", allowBlank); v != nil {
			reg.FirstName = *v
		}
		if v := body.str("last_name", allowBlank); v != nil {
			reg.LastName = *v
		}
		if err := body.err(); err != nil {
			writeError(w, r, logger, err)
			return
		}
		u, err := auth.Register(r.Context(), reg)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusCreated, toUserResponse(u))
	})
}

func handleLogin(logger *slog.Logger, auth healthcare.AuthService, metrics Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := decodeObject(w, r, "username", "password")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		username := body.str("username", required)
		password := body.str("password", required|keepSpaces)
		if err := body.err(); err != nil {
			writeError(w, r, logger, err)
			return
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
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, tokenPairResponse{Access: pair.Access, Refresh: pair.Refresh})
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

func handleRefresh(logger *slog.Logger, auth healthcare.AuthService) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refresh, err := readRefresh(w, r)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		pair, err := auth.Refresh(r.Context(), refresh)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		encode(w, http.StatusOK, tokenPairResponse{Access: pair.Access, Refresh: pair.Refresh})
	})
}

func handleLogout(logger *slog.Logger, auth healthcare.AuthService) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refresh, err := readRefresh(w, r)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := auth.Logout(r.Context(), refresh); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func handlePasswordChange(logger *slog.Logger, auth healthcare.AuthService) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := decodeObject(w, r, "old_password", "new_password")
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		oldPassword := body.str("old_password", required|keepSpaces)
		newPassword := body.str("new_password", required|keepSpaces)
		if err := body.err(); err != nil {
			writeError(w, r, logger, err)
			return
		}
		if err := auth.ChangePassword(r.Context(), *oldPassword, *newPassword); err != nil {
			writeError(w, r, logger, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func handleMe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, toUserResponse(healthcare.UserFromContext(r.Context())))
	})
}
