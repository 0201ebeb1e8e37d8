-- Each claim of a message by a dispatcher draws a token; only its holder may renew the lease or
-- record the outcome, however long the relay takes and however often the lease is extended.
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
