-- +goose Up
-- The staff console's sessions. Only a hash of the session id is kept, so
-- that reading the table does not let anyone sign in.
CREATE TABLE console_sessions (
    id_hash             TEXT PRIMARY KEY,
    user_id             BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credentials_version INTEGER NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_user_id_idx ON console_sessions (user_id);

-- The reason a staff member gave to open a patient record.
ALTER TABLE audit_events ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- Requests refused by a rate limit, per hour and scope, for the console's
-- chart; written only on a refusal.
CREATE TABLE throttle_refusals (
    hour     TIMESTAMPTZ NOT NULL,
    scope    TEXT NOT NULL,
    refusals INTEGER NOT NULL,
    PRIMARY KEY (hour, scope)
);

-- +goose Down
DROP TABLE throttle_refusals;
ALTER TABLE audit_events DROP COLUMN reason;
DROP TABLE console_sessions;
