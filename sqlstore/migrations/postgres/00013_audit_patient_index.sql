-- +goose Up
-- No query reads this index: the only filter on a patient is "patient_id =
-- X OR patient_ids LIKE '%,X,%'" (a list's events name their patients in
-- patient_ids), and an index on one side of an OR with a LIKE cannot
-- answer it. Every audit event paid for keeping it up to date.
DROP INDEX audit_events_patient_idx;

-- +goose Down
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, id);
