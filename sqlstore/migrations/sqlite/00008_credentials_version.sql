-- +goose Up
-- A token carries the credentials version it was issued under; a password
-- change raises it, so every token issued before is refused, even one
-- issued in the same second (a token's iat has whole seconds only).
ALTER TABLE users ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN credentials_version;
