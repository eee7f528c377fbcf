package httpapi

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"time"

	"github.com/clinicapi/healthcare"
)

//go:embed openapi.json
var openapiJSON []byte

//go:embed docs
var docsFS embed.FS

// handleSchema serves the OpenAPI document as it is embedded.
func handleSchema() apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiJSON)
		return nil
	}
}

// handleDocs serves the interactive documentation from the binary: no
// other host is ever asked for anything.
func handleDocs() apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		file := r.PathValue("file")
		if file == "" {
			file = "index.html"
		}
		content, err := fs.ReadFile(docsFS, "docs/"+file)
		if err != nil || path.Base(file) != file {
			return healthcare.NotFound()
		}
		// The UI needs its own scripts and styles (inline styles included)
		// and images as data URLs; still nothing from another origin.
		w.Header().Set("Content-Security-Policy",
			"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("Cache-Control", "no-cache")
		// ServeContent, not a FileServer: that would redirect index.html.
		http.ServeContent(w, r, file, time.Time{}, bytes.NewReader(content))
		return nil
	}
}
