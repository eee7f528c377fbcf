// Package mock holds hand-written fakes of the service interfaces, for
// tests that inject failures a real database cannot produce on demand.
package mock

import (
	"context"

	"github.com/clinicapi/healthcare"
)

// PatientService is a healthcare.PatientService whose methods call the
// function fields.
type PatientService struct {
	FindPatientByIDFn func(ctx context.Context, id int64) (*healthcare.Patient, error)
	FindPatientsFn    func(ctx context.Context, opt healthcare.ListOptions) ([]*healthcare.Patient, int, error)
	CreatePatientFn   func(ctx context.Context, p *healthcare.Patient, problems healthcare.FieldErrors) error
	UpdatePatientFn   func(ctx context.Context, id int64, upd healthcare.PatientUpdate, m *healthcare.IfMatch) (*healthcare.Patient, error)
	DeletePatientFn   func(ctx context.Context, id int64, m *healthcare.IfMatch) error
}

var _ healthcare.PatientService = (*PatientService)(nil)

// FindPatientByID calls FindPatientByIDFn.
func (s *PatientService) FindPatientByID(ctx context.Context, id int64) (*healthcare.Patient, error) {
	return s.FindPatientByIDFn(ctx, id)
}

// FindPatients calls FindPatientsFn.
func (s *PatientService) FindPatients(ctx context.Context, opt healthcare.ListOptions) ([]*healthcare.Patient, int, error) {
	return s.FindPatientsFn(ctx, opt)
}

// CreatePatient calls CreatePatientFn.
func (s *PatientService) CreatePatient(ctx context.Context, p *healthcare.Patient, problems healthcare.FieldErrors) error {
	return s.CreatePatientFn(ctx, p, problems)
}

// UpdatePatient calls UpdatePatientFn.
func (s *PatientService) UpdatePatient(ctx context.Context, id int64, upd healthcare.PatientUpdate, m *healthcare.IfMatch) (*healthcare.Patient, error) {
	return s.UpdatePatientFn(ctx, id, upd, m)
}

// DeletePatient calls DeletePatientFn.
func (s *PatientService) DeletePatient(ctx context.Context, id int64, m *healthcare.IfMatch) error {
	return s.DeletePatientFn(ctx, id, m)
}
