-- +goose Up
-- Nothing to do: on SQLite, changes of accounts reach the account cache
-- through the connection's update hook (sqlstore/pool.go); PostgreSQL
-- needs a trigger (postgres/00012_users_notify.sql).
SELECT 1;

-- +goose Down
SELECT 1;
