DROP TRIGGER bookings_no_overlap_update;
DROP TRIGGER bookings_no_overlap_insert;
DROP TABLE qualifications;
DROP TABLE idempotency_keys;
DROP TABLE booking_events;
DROP TABLE bookings;
ALTER TABLE resources DROP COLUMN no_show_grace_min;
ALTER TABLE resources DROP COLUMN longest_block_min;
