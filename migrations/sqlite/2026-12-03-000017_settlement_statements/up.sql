-- A statement a provider institution issues to an issuing agency for what the agency's vouchers
-- paid it in a period: agreed, then paid, by the agency; or, before it is agreed, withdrawn by the
-- provider or disputed by the agency. A ledger entry is on at most one live statement: the
-- partial unique index refuses a second, even from a concurrent transaction.
CREATE TABLE settlement_statements (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  issuer_id BIGINT NOT NULL REFERENCES organizations (id),
  provider_id BIGINT NOT NULL REFERENCES organizations (id),
  period_from DATE NOT NULL,
  period_to DATE NOT NULL,
  amount_fen BIGINT NOT NULL,
  line_count BIGINT NOT NULL,
  status TEXT NOT NULL,
  issued_at TIMESTAMP NOT NULL,
  agreed_at TIMESTAMP,
  paid_at TIMESTAMP,
  payment_reference TEXT,
  closed_at TIMESTAMP,
  closed_reason TEXT
);
CREATE INDEX settlement_statements_issuer ON settlement_statements (issuer_id, id);
CREATE INDEX settlement_statements_provider ON settlement_statements (provider_id, id);

CREATE TABLE settlement_lines (
  statement_id BIGINT NOT NULL REFERENCES settlement_statements (id),
  entry_id BIGINT NOT NULL REFERENCES voucher_ledger (id),
  live BOOLEAN NOT NULL,
  PRIMARY KEY (statement_id, entry_id)
);
CREATE UNIQUE INDEX settlement_lines_once ON settlement_lines (entry_id) WHERE live;

-- A change between two organisations (a statement's provider and issuer) is read by both.
ALTER TABLE audit_events ADD COLUMN party_id BIGINT REFERENCES organizations (id);
CREATE INDEX audit_events_party ON audit_events (party_id, id);
