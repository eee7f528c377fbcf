-- +goose Up
-- The owner of an assignment's patient, kept on the assignment, so that
-- listing an owner's assignments in id order is one index range.
ALTER TABLE assignments ADD COLUMN owner_id INTEGER NOT NULL DEFAULT 0;
UPDATE assignments SET owner_id = (SELECT p.owner_id FROM patients p WHERE p.id = assignments.patient_id);
CREATE INDEX assignments_owner_id_idx ON assignments (owner_id, id);

-- +goose Down
DROP INDEX assignments_owner_id_idx;
ALTER TABLE assignments DROP COLUMN owner_id;
