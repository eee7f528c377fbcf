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
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, statusResponse{Status: "ok"})
	})
}

// handleReadyz answers 200 only while the database does.
func handleReadyz(logger *slog.Logger, ready func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			logger.WarnContext(ctx, "not ready", "err", err)
			w.Header().Set("Retry-After", "5")
			writeError(w, r, logger, healthcare.Errorf(healthcare.EUNAVAILABLE, "The database is unavailable."))
			return
		}
		encode(w, http.StatusOK, statusResponse{Status: "ok"})
	})
}
