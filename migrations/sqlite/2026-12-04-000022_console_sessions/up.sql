-- Console sign-ins: the cookie holds a random token of which only a digest is kept. A session
-- carries the account's token version, so a changed password or role ends it as it ends
-- access tokens; signing out deletes it.
CREATE TABLE console_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (id),
  token_hash TEXT NOT NULL UNIQUE,
  token_version BIGINT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
