-- Unit-minutes of a completed booking's recorded use (whole minutes from check-in to check-out,
-- times its units), written at completion by the server so that reports sum the same integers on
-- both databases instead of doing date arithmetic in SQL.
ALTER TABLE bookings ADD COLUMN used_unit_minutes BIGINT CHECK (used_unit_minutes >= 0);
UPDATE bookings
SET used_unit_minutes = GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (check_out_at - check_in_at)) / 60))::BIGINT * GREATEST(quantity, 1)
WHERE state = 'completed' AND check_in_at IS NOT NULL AND check_out_at IS NOT NULL;
-- Reports select a period's completed uses by their check-in.
CREATE INDEX bookings_used ON bookings (state, check_in_at);
CREATE INDEX usage_records_started ON usage_records (started_at);
