-- +goose Up
-- The owner of an assignment's patient, kept on the assignment, so that
-- listing an owner's assignments in id order is one index range instead of
-- a walk over everybody's assignments (the plan PostgreSQL picks for
-- "ORDER BY a.id LIMIT 20" through the join once the table is large).
ALTER TABLE assignments ADD COLUMN owner_id BIGINT;
UPDATE assignments a SET owner_id = p.owner_id FROM patients p WHERE p.id = a.patient_id;
ALTER TABLE assignments ALTER COLUMN owner_id SET NOT NULL;
CREATE INDEX assignments_owner_id_idx ON assignments (owner_id, id);

-- +goose Down
DROP INDEX assignments_owner_id_idx;
ALTER TABLE assignments DROP COLUMN owner_id;
