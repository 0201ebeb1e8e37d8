-- Bookings: the reservation beside the actual use, its history, idempotent requests, and
-- operators' qualifications. block_start/block_end are the buffered interval that capacity and
-- overlap checks use; the index on (resource_id, block_start) bounds every overlap lookup.

ALTER TABLE resources ADD COLUMN longest_block_min INTEGER NOT NULL DEFAULT 0;
-- Minutes after the start within which someone must check in, or the booking is a no-show.
ALTER TABLE resources ADD COLUMN no_show_grace_min INTEGER NOT NULL DEFAULT 30;

CREATE TABLE bookings (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  booker_id BIGINT NOT NULL REFERENCES users (id),
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'waitlisted', 'rejected', 'cancelled', 'expired', 'completed', 'no_show')),
  blocking BOOLEAN NOT NULL,
  exclusive BOOLEAN NOT NULL,
  start_at TIMESTAMP NOT NULL,
  end_at TIMESTAMP NOT NULL,
  block_start TIMESTAMP NOT NULL,
  block_end TIMESTAMP NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity >= 1),
  purpose TEXT NOT NULL,
  wants_waitlist BOOLEAN NOT NULL,
  series_id TEXT,
  pending_deadline TIMESTAMP,
  operator_assisted BOOLEAN NOT NULL,
  check_in_at TIMESTAMP,
  check_out_at TIMESTAMP,
  version BIGINT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  CHECK (start_at < end_at),
  CHECK (block_start <= start_at AND end_at <= block_end),
  CHECK (blocking OR NOT exclusive)
);
CREATE INDEX bookings_overlap ON bookings (resource_id, block_start);
CREATE INDEX bookings_booker ON bookings (booker_id, id);
CREATE INDEX bookings_pending ON bookings (state, pending_deadline);

CREATE TABLE booking_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  booking_id BIGINT NOT NULL REFERENCES bookings (id),
  actor_id BIGINT REFERENCES users (id),
  event TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  reason TEXT,
  at TIMESTAMP NOT NULL
);
CREATE INDEX booking_events_booking ON booking_events (booking_id, id);

-- The first response to a request with an Idempotency-Key, replayed for the same body.
CREATE TABLE idempotency_keys (
  user_id BIGINT NOT NULL REFERENCES users (id),
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (user_id, key)
);

CREATE TABLE qualifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (id),
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  granted_by BIGINT NOT NULL REFERENCES users (id),
  expires_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX qualifications_user ON qualifications (user_id, resource_id);

-- Second line of defence for capacity-one resources: SQLite has no exclusion constraints, so a
-- trigger refuses an exclusive booking that overlaps another. (The application check inside the
-- BEGIN IMMEDIATE transaction is the first.)
CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings
WHEN NEW.exclusive AND EXISTS (
  SELECT 1 FROM bookings b
  WHERE b.resource_id = NEW.resource_id AND b.exclusive
    AND b.block_start < NEW.block_end AND NEW.block_start < b.block_end
    -- Bounded by the longest booking the resource has had, so the check does not slow with history.
    AND b.block_start >= datetime(NEW.block_start, '-' || ((SELECT longest_block_min FROM resources r WHERE r.id = NEW.resource_id) + 1) || ' minutes'))
BEGIN
  SELECT RAISE(ABORT, 'bookings_no_overlap');
END;

CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE OF exclusive, block_start, block_end ON bookings
WHEN NEW.exclusive AND EXISTS (
  SELECT 1 FROM bookings b
  WHERE b.resource_id = NEW.resource_id AND b.exclusive AND b.id <> NEW.id
    AND b.block_start < NEW.block_end AND NEW.block_start < b.block_end
    -- Bounded by the longest booking the resource has had, so the check does not slow with history.
    AND b.block_start >= datetime(NEW.block_start, '-' || ((SELECT longest_block_min FROM resources r WHERE r.id = NEW.resource_id) + 1) || ' minutes'))
BEGIN
  SELECT RAISE(ABORT, 'bookings_no_overlap');
END;
