-- +goose Up
-- Most events are an owner's own request: actor and owner are one user, and
-- the actor index already finds them. The owner index keeps only the
-- others (a staff member's or another account's request on a patient), so
-- that an owner's own read pays for two index entries, not three. The
-- audit list's condition repeats this predicate (sqlstore.involving).
CREATE INDEX audit_events_other_owner_idx ON audit_events (owner_id, id)
    WHERE owner_id IS DISTINCT FROM actor_id;
DROP INDEX audit_events_owner_idx;

-- +goose Down
CREATE INDEX audit_events_owner_idx ON audit_events (owner_id, id);
DROP INDEX audit_events_other_owner_idx;
