package httpapi

import (
	"net/http"

	"github.com/clinicapi/healthcare"
)

type doctorDetail struct {
	ID             int64  `json:"id"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Specialization string `json:"specialization"`
}

type assignmentResponse struct {
	ID           int64        `json:"id"`
	Patient      int64        `json:"patient"`
	Doctor       int64        `json:"doctor"`
	DoctorDetail doctorDetail `json:"doctor_detail"`
	CreatedAt    timestamp    `json:"created_at"`
}

func toAssignmentResponse(a *healthcare.Assignment) assignmentResponse {
	return assignmentResponse{
		ID: a.ID, Patient: a.PatientID, Doctor: a.DoctorID, CreatedAt: timestamp(a.CreatedAt),
		DoctorDetail: doctorDetail{ID: a.Doctor.ID, FirstName: a.Doctor.FirstName,
			LastName: a.Doctor.LastName, Specialization: a.Doctor.Specialization},
	}
}

func handleAssignmentCreate(assignments healthcare.AssignmentService) apiFunc {
	return inFieldOrder([]string{"patient", "doctor"}, func(w http.ResponseWriter, r *http.Request) error {
		body, err := decodeObject(w, r, "patient", "doctor")
		if err != nil {
			return err
		}
		a := healthcare.Assignment{PatientID: body.pk("patient"), DoctorID: body.pk("doctor")}
		if err := assignments.CreateAssignment(r.Context(), &a, body.errs); err != nil {
			return err
		}
		encode(w, http.StatusCreated, toAssignmentResponse(&a))
		return nil
	})
}

func handleAssignmentsList(assignments healthcare.AssignmentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := queryParams(r)
		opt := parseListOptions(q, healthcare.AssignmentOrderFields)
		if err := q.err(); err != nil {
			return err
		}
		list, total, err := assignments.FindAssignments(r.Context(), opt)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, newPage(r, opt, total, mapItems(list, toAssignmentResponse)))
		return nil
	}
}

// handlePatientDoctors lists the doctors of the patient whose id is in the
// path, at /api/mappings/{id} and /api/patients/{id}/doctors.
func handlePatientDoctors(assignments healthcare.AssignmentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		q := queryParams(r)
		opt := parseListOptions(q, healthcare.DoctorOrderFields)
		if q.invalidPage {
			// The Django design finds the patient before it reads the page:
			// a patient not the caller's is "Not found." whatever the page,
			// and the caller's has no page this far, so "Invalid page."
			q.invalidPage, opt.Page, opt.Last = false, 1_000_000_000, false
		}
		if err := q.err(); err != nil {
			return err
		}
		list, total, err := assignments.FindDoctorsOfPatient(r.Context(), id, opt)
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, newPage(r, opt, total, mapItems(list, toDoctorResponse)))
		return nil
	}
}

func handleAssignmentDelete(assignments healthcare.AssignmentService) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := assignments.DeleteAssignment(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
