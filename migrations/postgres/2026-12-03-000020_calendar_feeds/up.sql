-- Calendar subscriptions: a secret URL per feed, of which only a digest is kept. A feed is of
-- its owner's bookings, of one resource, or of the owner's institution.
CREATE TABLE calendar_feeds (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('user', 'resource', 'institution')),
  resource_id BIGINT REFERENCES resources (id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL,
  revoked_at TIMESTAMP,
  CHECK ((kind = 'resource') = (resource_id IS NOT NULL))
);
CREATE INDEX calendar_feeds_of_user ON calendar_feeds (user_id, id);
