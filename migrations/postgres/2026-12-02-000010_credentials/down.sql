DROP INDEX idempotency_keys_created;
DROP TABLE sign_in_failures;
ALTER TABLE users DROP COLUMN token_version;
