-- +goose Up
-- No statement gets around 00002's triggers here: INSERT … ON CONFLICT DO
-- UPDATE and MERGE … UPDATE fire the row UPDATE trigger, MERGE … DELETE the
-- DELETE one, TRUNCATE its own. But a trigger that is merely ENABLEd does
-- not fire while session_replication_role is replica, which a superuser can
-- set with no DDL at all; ALWAYS fires them in every role. (A logical
-- replication subscriber applies in that role, and is refused only what the
-- publisher could not do either.)
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_no_update_delete;
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_no_truncate;

-- +goose Down
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate;
