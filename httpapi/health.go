package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/clinicapi/healthcare"
)

type statusResponse struct {
	Status string `json:"status"`
}

// handleHealthz answers while the process serves at all.
func handleHealthz() apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		encode(w, http.StatusOK, statusResponse{Status: "ok"})
		return nil
	}
}

// handleReadyz answers 200 only while the database can serve. It is the
// one handler that logs: why the service is not ready is for the operator,
// and the error it returns is only the 503 the client sees.
func handleReadyz(logger *slog.Logger, ready func(context.Context) error) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			logger.WarnContext(ctx, "not ready", "err", err)
			return &healthcare.Error{Code: healthcare.EUNAVAILABLE, RetryAfter: 5 * time.Second,
				Message: "The database is unavailable."}
		}
		encode(w, http.StatusOK, statusResponse{Status: "ok"})
		return nil
	}
}
