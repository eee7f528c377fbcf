-- +goose Up
-- Rate-limit counters, shared by every instance: one row per key and
-- fixed window, bumped atomically by INSERT … ON CONFLICT.
CREATE TABLE throttle_counters (
    key          TEXT PRIMARY KEY,
    window_start DATETIME NOT NULL,
    hits         INTEGER NOT NULL
);
CREATE INDEX throttle_counters_window_idx ON throttle_counters (window_start);

-- Tokens issued before a password change stop working.
ALTER TABLE users ADD COLUMN password_changed_at DATETIME;

-- +goose Down
ALTER TABLE users DROP COLUMN password_changed_at;
DROP TABLE throttle_counters;
