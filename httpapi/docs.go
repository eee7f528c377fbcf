package httpapi

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
)

//go:embed openapi.json
var openapiJSON []byte

//go:embed docs
var docsFS embed.FS

// handleSchema serves the OpenAPI document as it is embedded.
func handleSchema() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiJSON)
	})
}

// handleDocs serves the interactive documentation from the binary: no
// other host is ever asked for anything.
func handleDocs(logger *slog.Logger) http.Handler {
	sub, err := fs.Sub(docsFS, "docs")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file := r.PathValue("file")
		if file == "" {
			file = "index.html"
		}
		if _, err := fs.Stat(sub, file); err != nil || path.Base(file) != file {
			writeError(w, r, logger, errNotFound())
			return
		}
		// The UI needs its own scripts and styles (inline styles included)
		// and images as data URLs; still nothing from another origin.
		w.Header().Set("Content-Security-Policy",
			"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("Cache-Control", "no-cache")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + file
		files.ServeHTTP(w, r2)
	})
}
