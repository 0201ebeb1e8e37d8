-- Webhook subscriptions of an organisation. The signing secret is kept sealed with a key the
-- servers derive from their shared JWT secret, so the database alone does not reveal it.
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  secret_sealed TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
  paused_reason TEXT,
  created_by BIGINT NOT NULL REFERENCES users (id),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_of_organization ON webhooks (organization_id, id);

-- One event for one subscription, written in the transaction of the change. Delivered under a
-- lease like mail; deliveries of one booking (ordering_key) go out one after another.
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
  event_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  ordering_key TEXT,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  lease_until TIMESTAMP,
  claim_token TEXT,
  last_status_code INTEGER,
  last_error TEXT,
  created_at TIMESTAMP NOT NULL,
  delivered_at TIMESTAMP,
  UNIQUE (webhook_id, event_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_of_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_in_order ON webhook_deliveries (webhook_id, ordering_key, id);

-- Every attempt, as the subscriber sees it in the delivery's history.
CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
  at TIMESTAMP NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_of_delivery ON webhook_attempts (delivery_id, id);
