-- A random key per message, drawn when it is queued, so that its Message-ID is the same on every
-- attempt and unlike any other installation's (or this one's before a reset of its database).
ALTER TABLE outbox ADD COLUMN message_key TEXT;
