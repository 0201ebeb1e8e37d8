-- The tables of the bare booking transaction (see bare.sql and bare-sqlite.py).
CREATE TABLE bare_resources (id BIGINT PRIMARY KEY);
CREATE TABLE bare_bookings (
  id BIGSERIAL PRIMARY KEY, resource_id BIGINT NOT NULL, start_slot BIGINT NOT NULL,
  end_slot BIGINT NOT NULL, quantity BIGINT NOT NULL, purpose TEXT NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE INDEX bare_bookings_overlap ON bare_bookings (resource_id, start_slot);
CREATE TABLE bare_outbox (
  id BIGSERIAL PRIMARY KEY, booking_id BIGINT NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL);
INSERT INTO bare_resources SELECT generate_series(1, 100);
