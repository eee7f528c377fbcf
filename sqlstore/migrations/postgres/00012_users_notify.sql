-- +goose Up
-- Every instance keeps the accounts that tokens name in memory; each
-- committed change of an account is reported to all of them at once, so
-- that a deactivation or a new password holds on the next request
-- everywhere (sqlstore/listen.go).
-- +goose StatementBegin
CREATE FUNCTION notify_users_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('healthcare_users', OLD.id::text);
	RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_change_notify AFTER UPDATE OR DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION notify_users_change();

-- +goose Down
DROP TRIGGER users_change_notify ON users;
DROP FUNCTION notify_users_change();
