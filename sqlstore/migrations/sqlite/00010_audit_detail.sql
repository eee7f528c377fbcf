-- +goose Up
-- What an event of the command line says about itself: an import's source
-- (engine, host, database) and counts. Requests leave it empty.
ALTER TABLE audit_events ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_events DROP COLUMN detail;
