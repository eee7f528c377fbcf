package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/clinicapi/healthcare"
)

type patientData struct {
	ID      string
	Reason  string
	Patient *healthcare.Patient
}

// handlePatientForm asks for a patient's id and the reason to open it:
// staff do not browse patient records, so there is no list.
func (c *console) handlePatientForm(w http.ResponseWriter, r *http.Request) error {
	c.render(w, r, http.StatusOK, "patients", page{Title: "Open a patient record", Nav: "patients",
		Data: patientData{ID: truncate(r.URL.Query().Get("id"), 20)}})
	return nil
}

// handlePatientOpen shows a patient once the reason is on record. It is a
// POST, so the reason travels in no URL and no log.
func (c *console) handlePatientOpen(w http.ResponseWriter, r *http.Request) error {
	d := patientData{ID: strings.TrimSpace(r.PostFormValue("id")), Reason: r.PostFormValue("reason")}
	p := page{Title: "Open a patient record", Nav: "patients", Data: d}
	id, err := strconv.ParseInt(d.ID, 10, 64)
	if err != nil || id <= 0 {
		p.Fields = map[string][]string{"id": {healthcare.MsgInvalidInteger}}
		c.render(w, r, http.StatusBadRequest, "patients", p)
		return nil
	}
	patient, err := c.svc.Staff.ReadPatient(r.Context(), id, d.Reason)
	switch healthcare.ErrorCode(err) {
	case "":
		d.Patient = patient
		c.render(w, r, http.StatusOK, "patient", page{Title: "Patient " + idString(id), Nav: "patients", Data: d})
		return nil
	case healthcare.EINVALID:
		p.Fields = fieldsOf(err)
		c.render(w, r, http.StatusBadRequest, "patients", p)
		return nil
	case healthcare.ENOTFOUND:
		p.Error = "No patient has that id."
		c.render(w, r, http.StatusNotFound, "patients", p)
		return nil
	}
	return err
}
