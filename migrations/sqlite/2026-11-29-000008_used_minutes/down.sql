DROP INDEX usage_records_started;
DROP INDEX bookings_used;
ALTER TABLE bookings DROP COLUMN used_unit_minutes;
