-- +goose Up
-- No foreign keys: an event outlives the user, patient or doctor it names.
CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           DATETIME NOT NULL,
    actor_id     INTEGER,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    INTEGER,
    patient_id   INTEGER,
    patient_ids  TEXT NOT NULL DEFAULT '',
    owner_id     INTEGER,
    outcome      TEXT NOT NULL,
    client_addr  TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    subject_hash TEXT NOT NULL DEFAULT ''
);
-- Every index costs each audited request; these serve GET /api/audit/'s
-- visibility rule and the patient filter. Time ranges scan.
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_owner_idx ON audit_events (owner_id, id);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, id);

-- Append-only in the database itself: no UPDATE or DELETE, whoever asks.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_events;
