ALTER TABLE bookings DROP COLUMN shift_min;
ALTER TABLE resource_rates DROP COLUMN per;
