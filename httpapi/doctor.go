package httpapi

import (
	"net/http"

	"github.com/clinicapi/healthcare"
)

type doctorResponse struct {
	ID             int64     `json:"id"`
	FirstName      string    `json:"first_name"`
	LastName       string    `json:"last_name"`
	Email          string    `json:"email"`
	Specialization string    `json:"specialization"`
	CreatedAt      timestamp `json:"created_at"`
	UpdatedAt      timestamp `json:"updated_at"`
}

func toDoctorResponse(d *healthcare.Doctor) doctorResponse {
	return doctorResponse{ID: d.ID, FirstName: d.FirstName, LastName: d.LastName, Email: d.Email,
		Specialization: d.Specialization, CreatedAt: timestamp(d.CreatedAt), UpdatedAt: timestamp(d.UpdatedAt)}
}

// doctorFields are the writable fields of a doctor.
var doctorFields = []string{"first_name", "last_name", "email", "specialization"}

func readDoctorUpdate(body *object, partial bool) healthcare.DoctorUpdate {
	var req strOpt
	if !partial {
		req = required
	}
	return healthcare.DoctorUpdate{
		FirstName:      body.str("first_name", req),
		LastName:       body.str("last_name", req),
		Email:          body.str("email", req),
		Specialization: body.str("specialization", req),
	}
}

func handleDoctorsList(doctors healthcare.DoctorService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := queryParams(r)
		f := healthcare.DoctorFilter{
			ListOptions:    parseListOptions(q, healthcare.DoctorOrderFields),
			Specialization: q.text("specialization", healthcare.MaxNameLength),
		}
		if err := q.err(); err != nil {
			return err
		}
		list, total, err := doctors.FindDoctors(r.Context(), f)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, newPage(r, f.ListOptions, total, mapItems(list, toDoctorResponse)))
		return nil
	}
}

func handleDoctorGet(doctors healthcare.DoctorService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		d, err := doctors.FindDoctorByID(r.Context(), id)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toDoctorResponse(d))
		return nil
	}
}

func handleDoctorCreate(doctors healthcare.DoctorService) apiFunc {
	return inFieldOrder(doctorFields, func(w http.ResponseWriter, r *http.Request) error {
		body, err := decodeObject(w, r, doctorFields...)
		if err != nil {
			return err
		}
		upd := readDoctorUpdate(body, false)
		var d healthcare.Doctor
		upd.Apply(&d)
		if err := doctors.CreateDoctor(r.Context(), &d, body.errs); err != nil {
			return err
		}
		encode(w, http.StatusCreated, toDoctorResponse(&d))
		return nil
	})
}

func handleDoctorUpdate(doctors healthcare.DoctorService, partial bool) apiFunc {
	return inFieldOrder(doctorFields, func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		body, err := decodeObject(w, r, doctorFields...)
		if err != nil {
			return err
		}
		upd := readDoctorUpdate(body, partial)
		upd.Problems = body.errs
		d, err := doctors.UpdateDoctor(r.Context(), id, upd)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, toDoctorResponse(d))
		return nil
	})
}

func handleDoctorDelete(doctors healthcare.DoctorService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := doctors.DeleteDoctor(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
