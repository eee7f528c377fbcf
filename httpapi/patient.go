package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/clinicapi/healthcare"
)

type patientResponse struct {
	ID        int64     `json:"id"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Email     string    `json:"email"`
	DOB       date      `json:"dob"`
	Notes     string    `json:"notes"`
	CreatedAt timestamp `json:"created_at"`
	UpdatedAt timestamp `json:"updated_at"`
}

func toPatientResponse(p *healthcare.Patient) patientResponse {
	return patientResponse{ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email,
		DOB: date(p.DOB), Notes: p.Notes, CreatedAt: timestamp(p.CreatedAt), UpdatedAt: timestamp(p.UpdatedAt)}
}

// patientFields are the writable fields of a patient; nothing else in a
// body is read.
var patientFields = []string{"first_name", "last_name", "email", "dob", "notes"}

// readPatientUpdate reads the writable fields; every one but notes is
// required unless partial (PATCH).
func readPatientUpdate(body *object, partial bool) healthcare.PatientUpdate {
	var req strOpt
	if !partial {
		req = required
	}
	return healthcare.PatientUpdate{
		FirstName: body.str("first_name", req),
		LastName:  body.str("last_name", req),
		Email:     body.str("email", req),
		DOB:       body.date("dob", req),
		Notes:     body.str("notes", allowBlank),
	}
}

// pathID reads the {id} of the path. Only a positive integer in canonical
// decimal names a resource: "+1", "01" or "1.0" name none, so that one
// record has one URL.
func pathID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || s[0] < '1' || s[0] > '9' {
		return 0, healthcare.NotFound()
	}
	return id, nil
}

func etag(p *healthcare.Patient) string { return `"` + strconv.FormatInt(p.Version, 10) + `"` }

// ifMatch reads If-Match. Tags that are not ours (weak ones included, as
// If-Match compares strongly) can never match.
func ifMatch(r *http.Request) *healthcare.IfMatch {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return nil
	}
	m := &healthcare.IfMatch{Versions: []int64{}}
	for _, v := range values {
		for _, tag := range strings.Split(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				m.Any = true
				continue
			}
			if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
				continue
			}
			if n, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64); err == nil {
				m.Versions = append(m.Versions, n)
			}
		}
	}
	return m
}

func handlePatientsList(patients healthcare.PatientService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := queryParams(r)
		opt := parseListOptions(q, healthcare.PatientOrderFields)
		if err := q.err(); err != nil {
			return err
		}
		list, total, err := patients.FindPatients(r.Context(), opt)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, newPage(r, opt, total, mapItems(list, toPatientResponse)))
		return nil
	}
}

func handlePatientCreate(patients healthcare.PatientService) apiFunc {
	return inFieldOrder(patientFields, func(w http.ResponseWriter, r *http.Request) error {
		body, err := decodeObject(w, r, patientFields...)
		if err != nil {
			return err
		}
		upd := readPatientUpdate(body, false)
		var p healthcare.Patient
		upd.Apply(&p)
		if err := patients.CreatePatient(r.Context(), &p, body.errs); err != nil {
			return err
		}
		w.Header().Set("ETag", etag(&p))
		encode(w, http.StatusCreated, toPatientResponse(&p))
		return nil
	})
}

func handlePatientGet(patients healthcare.PatientService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		p, err := patients.FindPatientByID(r.Context(), id)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(p))
		encode(w, http.StatusOK, toPatientResponse(p))
		return nil
	}
}

func handlePatientUpdate(patients healthcare.PatientService, partial bool) apiFunc {
	return inFieldOrder(patientFields, func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		body, err := decodeObject(w, r, patientFields...)
		if err != nil {
			return err
		}
		upd := readPatientUpdate(body, partial)
		upd.Problems = body.errs
		p, err := patients.UpdatePatient(r.Context(), id, upd, ifMatch(r))
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(p))
		encode(w, http.StatusOK, toPatientResponse(p))
		return nil
	})
}

func handlePatientDelete(patients healthcare.PatientService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := patients.DeletePatient(r.Context(), id, ifMatch(r)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
