-- Messages written in the transaction of the change that causes them, and delivered afterwards by
-- the dispatcher. One message per dedupe key (per event and recipient), whatever happens.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  dedupe_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  user_id BIGINT REFERENCES users (id),
  to_address TEXT NOT NULL,
  locale TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  ics TEXT,
  booking_id BIGINT REFERENCES bookings (id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  lease_until TIMESTAMP,
  last_error TEXT,
  created_at TIMESTAMP NOT NULL,
  sent_at TIMESTAMP
);
-- What the dispatcher claims: due pending messages, and sending ones whose lease ran out.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_booking ON outbox (booking_id, kind);

-- How long before a booking its reminder goes out, per resource (24 hours when absent).
CREATE TABLE resource_reminders (
  resource_id BIGINT PRIMARY KEY REFERENCES resources (id),
  minutes_before INTEGER NOT NULL CHECK (minutes_before BETWEEN 0 AND 43200)
);

-- Waitlisted requests whose slot has begun are expired by the next write on their resource.
CREATE INDEX bookings_waiting ON bookings (state, start_at);
