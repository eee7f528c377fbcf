-- +goose Up
-- REPLACE INTO and INSERT OR REPLACE over an existing id delete the old row
-- without firing 00002's delete trigger (SQLite fires delete triggers for
-- REPLACE only on connections that turned recursive_triggers on), so they
-- rewrote events. An insert of an id already taken is refused instead,
-- whoever connects and whatever their pragmas.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN NEW.id > 0 AND EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- Before the insert, NEW.id is -1 when the id is left to AUTOINCREMENT, as
-- the store leaves it, so the lookup above is skipped for every insert of
-- ours (measured, that is cheaper than the lookup). That is sound only if no
-- row has an id below 1; AUTOINCREMENT never assigns one, so none may.
-- +goose StatementBegin
CREATE TRIGGER audit_events_positive_id AFTER INSERT ON audit_events
WHEN NEW.id < 1
BEGIN
    SELECT RAISE(ABORT, 'audit_events ids start at 1');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_positive_id;
DROP TRIGGER audit_events_no_replace;
