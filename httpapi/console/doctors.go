package console

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/clinicapi/healthcare"
)

type doctorsData struct {
	Query, Specialization string
	Doctors               []*healthcare.Doctor
	Pager                 pager
}

func (c *console) handleDoctors(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := healthcare.DoctorFilter{ListOptions: listOptions(q),
		Specialization: truncate(q.Get("specialization"), healthcare.MaxNameLength)}
	f.Ordering = []string{"last_name", "first_name"}
	doctors, total, err := c.svc.Doctors.FindDoctors(r.Context(), f)
	if healthcare.ErrorCode(err) == healthcare.ENOTFOUND && f.Page > 1 {
		doctors, total, err = nil, 0, nil
	}
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "doctors", page{Title: "Doctors", Nav: "doctors", Data: doctorsData{
		Query: f.Search, Specialization: f.Specialization, Doctors: doctors, Pager: newPager(r, f.Page, total)}})
	return nil
}

// doctorForm is the doctor page: the entry as typed, the version it was
// read at, and what stopped a save or a delete.
type doctorForm struct {
	ID                                         int64
	FirstName, LastName, Email, Specialization string
	Version                                    string
	// Current is the entry as someone else saved it since it was read.
	Current *healthcare.Doctor
	// Patients are those still assigned, when a delete was refused.
	Patients int
}

func formOf(d *healthcare.Doctor) doctorForm {
	return doctorForm{ID: d.ID, FirstName: d.FirstName, LastName: d.LastName, Email: d.Email,
		Specialization: d.Specialization, Version: version(d)}
}

// version is a doctor's version for a form: its last change, to the
// microsecond the store keeps.
func version(d *healthcare.Doctor) string { return d.UpdatedAt.UTC().Format(time.RFC3339Nano) }

func readDoctorForm(r *http.Request) doctorForm {
	return doctorForm{FirstName: r.PostFormValue("first_name"), LastName: r.PostFormValue("last_name"),
		Email: r.PostFormValue("email"), Specialization: r.PostFormValue("specialization"),
		Version: r.PostFormValue("version")}
}

func (c *console) renderDoctor(w http.ResponseWriter, r *http.Request, status int, f doctorForm, failed error) {
	title := "New doctor"
	if f.ID != 0 {
		title = "Doctor " + strconv.FormatInt(f.ID, 10)
	}
	p := page{Title: title, Nav: "doctors", Data: f}
	if failed != nil {
		if p.Fields = fieldsOf(failed); p.Fields == nil {
			p.Error = healthcare.ErrorMessage(failed)
		}
	}
	c.render(w, r, status, "doctor", p)
}

func (c *console) handleDoctorNew(w http.ResponseWriter, r *http.Request) error {
	c.renderDoctor(w, r, http.StatusOK, doctorForm{}, nil)
	return nil
}

func (c *console) handleDoctorCreate(w http.ResponseWriter, r *http.Request) error {
	f := readDoctorForm(r)
	d := &healthcare.Doctor{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, Specialization: f.Specialization}
	err := c.svc.Doctors.CreateDoctor(r.Context(), d, nil)
	if healthcare.ErrorCode(err) == healthcare.EINVALID {
		c.renderDoctor(w, r, http.StatusBadRequest, f, err)
		return nil
	} else if err != nil {
		return err
	}
	redirect(w, r, "/admin/doctors/"+idString(d.ID), "created")
	return nil
}

func (c *console) handleDoctor(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := c.svc.Doctors.FindDoctorByID(r.Context(), id)
	if err != nil {
		return err
	}
	c.renderDoctor(w, r, http.StatusOK, formOf(d), nil)
	return nil
}

func (c *console) handleDoctorUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := readDoctorForm(r)
	f.ID = id
	seen, perr := time.Parse(time.RFC3339Nano, f.Version)
	if perr != nil {
		seen = time.Time{} // matches no doctor: shown as a conflict
	}
	_, err = c.svc.Doctors.UpdateDoctor(r.Context(), id, healthcare.DoctorUpdate{FirstName: &f.FirstName,
		LastName: &f.LastName, Email: &f.Email, Specialization: &f.Specialization, IfUpdatedAt: &seen})
	switch healthcare.ErrorCode(err) {
	case "":
		redirect(w, r, "/admin/doctors/"+idString(id), "saved")
		return nil
	case healthcare.EINVALID:
		c.renderDoctor(w, r, http.StatusBadRequest, f, err)
		return nil
	case healthcare.EPRECONDITION:
		// Shown, not overwritten: what is saved now, beside what was typed,
		// which a second save (now on the current version) would store.
		current, err := c.svc.Doctors.FindDoctorByID(r.Context(), id)
		if err != nil {
			return err
		}
		f.Current, f.Version = current, version(current)
		c.renderDoctor(w, r, http.StatusConflict, f, healthcare.Errorf(healthcare.EPRECONDITION,
			"Someone else changed this doctor after you opened it; your changes were not saved. "+
				"Their version is shown below. Save again to replace it with yours."))
		return nil
	}
	return err
}

func (c *console) handleDoctorDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = c.svc.Doctors.DeleteDoctor(r.Context(), id)
	if healthcare.ErrorCode(err) == healthcare.EDOCTORASSIGNED {
		d, ferr := c.svc.Doctors.FindDoctorByID(r.Context(), id)
		if ferr != nil {
			return ferr
		}
		n, cerr := c.svc.Staff.CountDoctorPatients(r.Context(), id)
		if cerr != nil {
			return cerr
		}
		f := formOf(d)
		f.Patients = n
		c.renderDoctor(w, r, http.StatusConflict, f, healthcare.Errorf(healthcare.EDOCTORASSIGNED,
			"This doctor cannot be deleted: %s still assigned. Their owners must remove those assignments first.",
			patientsPhrase(n)))
		return nil
	} else if err != nil {
		return err
	}
	redirect(w, r, "/admin/doctors/", "deleted")
	return nil
}

func patientsPhrase(n int) string {
	if n == 1 {
		return "1 patient is"
	}
	return fmt.Sprintf("%d patients are", n)
}
