-- pgbench: the bare booking transaction, the ceiling a booking over HTTP is measured against:
-- lock the resource's row, sum what overlaps the slot, insert the booking and its message.
-- Variables: resources (how many to spread over).
\set r random(1, :resources)
\set slot random(1, 1000000)
BEGIN;
SELECT id FROM bare_resources WHERE id = :r FOR UPDATE;
SELECT COALESCE(SUM(quantity), 0) FROM bare_bookings
  WHERE resource_id = :r AND start_slot >= :slot - 1 AND start_slot < :slot + 1 AND end_slot > :slot;
INSERT INTO bare_bookings (resource_id, start_slot, end_slot, quantity, purpose, created_at)
  VALUES (:r, :slot, :slot + 1, 1, 'benchmark', now()) RETURNING id;
INSERT INTO bare_outbox (booking_id, recipient, body, created_at)
  VALUES (currval('bare_bookings_id_seq'), 'booker@example.org', repeat('x', 2048), now());
END;
