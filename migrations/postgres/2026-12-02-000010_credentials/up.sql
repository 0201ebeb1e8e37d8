-- Credentials follow the account. A user's token_version goes up whenever their password, role or
-- standing changes; an access token carries the version it was signed at and is refused once it
-- is behind. API tokens always expire: the ones made without an end get the longest lifetime.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = created_at + INTERVAL '365 days' WHERE expires_at IS NULL;

-- Failed sign-ins counted per key ("account:EMAIL", "client:ADDRESS", "pair:EMAIL ADDRESS") in
-- fixed windows; a key over its limit is refused until its window ends.
CREATE TABLE sign_in_failures (
  key TEXT PRIMARY KEY NOT NULL,
  window_start TIMESTAMP NOT NULL,
  failures BIGINT NOT NULL
);

-- Idempotency keys are kept for a day; the pruning job finds old ones by this index.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
