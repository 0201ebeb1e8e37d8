-- Computing allocations: a quota of unit-hours (GPU- or node-hours) on a computing resource for a
-- project over a period, priced at request and paid partly by a voucher held at approval. Usage
-- records (imported job accounting or posted through the API) draw it down; what goes beyond it is
-- recorded as overage.

CREATE TABLE allocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  requester_id BIGINT NOT NULL REFERENCES users (id),
  project TEXT NOT NULL,
  account TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled', 'ended')),
  starts_on DATE NOT NULL,
  ends_on DATE NOT NULL,
  requested_unit_hours BIGINT NOT NULL CHECK (requested_unit_hours > 0),
  granted_unit_hours BIGINT CHECK (granted_unit_hours > 0 AND granted_unit_hours <= requested_unit_hours),
  customer_category TEXT NOT NULL CHECK (customer_category IN ('internal', 'academic', 'enterprise')),
  rate_fen BIGINT NOT NULL CHECK (rate_fen >= 0),
  purpose_kind TEXT NOT NULL,
  voucher_id BIGINT REFERENCES vouchers (id),
  accepted_co_payment_fen BIGINT CHECK (accepted_co_payment_fen >= 0),
  voucher_share_fen BIGINT NOT NULL DEFAULT 0 CHECK (voucher_share_fen >= 0),
  decided_by BIGINT REFERENCES users (id),
  decided_at TIMESTAMP,
  reason TEXT,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  CHECK (starts_on <= ends_on)
);
CREATE INDEX allocations_account ON allocations (resource_id, account, state);
CREATE INDEX allocations_organization ON allocations (organization_id, id);
CREATE INDEX allocations_open ON allocations (state, ends_on);

-- One row per file (or API batch) of usage; its digest makes a re-imported file a 409.
CREATE TABLE usage_imports (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  digest TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('csv', 'api')),
  records BIGINT NOT NULL,
  skipped_duplicates BIGINT NOT NULL,
  imported_by BIGINT NOT NULL REFERENCES users (id),
  at TIMESTAMP NOT NULL,
  UNIQUE (resource_id, digest)
);

CREATE TABLE usage_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  import_id BIGINT NOT NULL REFERENCES usage_imports (id),
  line BIGINT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  allocation_id BIGINT NOT NULL REFERENCES allocations (id),
  job_id TEXT,
  account TEXT NOT NULL,
  user_name TEXT NOT NULL,
  started_at TIMESTAMP NOT NULL,
  ended_at TIMESTAMP NOT NULL,
  units BIGINT NOT NULL CHECK (units > 0),
  unit_minutes BIGINT NOT NULL CHECK (unit_minutes >= 0),
  overage_minutes BIGINT NOT NULL CHECK (overage_minutes >= 0 AND overage_minutes <= unit_minutes),
  fee_fen BIGINT NOT NULL CHECK (fee_fen >= 0),
  CHECK (started_at <= ended_at)
);
-- A job recorded once per resource, whichever file or batch brings it again.
CREATE UNIQUE INDEX usage_records_job ON usage_records (resource_id, job_id) WHERE job_id IS NOT NULL;
CREATE INDEX usage_records_allocation ON usage_records (allocation_id, ended_at);
CREATE INDEX usage_records_resource ON usage_records (resource_id, started_at);

ALTER TABLE voucher_ledger ADD COLUMN allocation_id BIGINT REFERENCES allocations (id);
CREATE UNIQUE INDEX voucher_ledger_one_allocation_hold ON voucher_ledger (allocation_id) WHERE movement = 'hold';
