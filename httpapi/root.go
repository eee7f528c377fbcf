package httpapi

import (
	"net/http"
	"net/url"
)

// apiRootResponse is the Django design's API root (DRF's DefaultRouter
// root view): a link to each of its router's lists.
type apiRootResponse struct {
	Patients string `json:"patients"`
	Doctors  string `json:"doctors"`
	Mappings string `json:"mappings"`
}

func handleAPIRoot() apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		link := func(path string) string {
			u := url.URL{Scheme: "http", Host: r.Host, Path: path}
			if r.TLS != nil {
				u.Scheme = "https"
			}
			return u.String()
		}
		encode(w, http.StatusOK, apiRootResponse{Patients: link("/api/patients/"), Doctors: link("/api/doctors/"),
			Mappings: link("/api/mappings/")})
		return nil
	}
}
