-- +goose Up
-- The hits of the window before, so that a limit is counted over a sliding
-- window: with fixed windows alone, a burst at the end of one and another
-- at the start of the next passed twice the limit.
ALTER TABLE throttle_counters ADD COLUMN prev_hits INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE throttle_counters DROP COLUMN prev_hits;
