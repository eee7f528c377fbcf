-- +goose Up
-- One namespace for the names an account logs in with: its username key
-- and its email key. The primary key keeps one account's username from
-- being another's email, which login (by either) could not tell apart.
-- Migration 00007, in Go, fills it and folds every key column as Unicode
-- recommends, which neither engine can do in SQL.
CREATE TABLE login_names (
    name_key TEXT PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX login_names_user_id_idx ON login_names (user_id);

-- +goose Down
DROP TABLE login_names;
