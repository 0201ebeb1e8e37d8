-- Published services (sample testing, 送样检测) and the orders for them: an enterprise sends
-- samples, the lab measures them and returns a report. A service belongs to an institution and,
-- optionally, to the resource it runs on. Prices are per sample, by customer category, in fen.

CREATE TABLE services (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  resource_id BIGINT REFERENCES resources (id),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  measures TEXT NOT NULL,
  sample_requirements TEXT NOT NULL,
  category TEXT NOT NULL,
  price_internal_fen BIGINT NOT NULL CHECK (price_internal_fen >= 0),
  price_academic_fen BIGINT NOT NULL CHECK (price_academic_fen >= 0),
  price_enterprise_fen BIGINT NOT NULL CHECK (price_enterprise_fen >= 0),
  turnaround_days INTEGER NOT NULL CHECK (turnaround_days BETWEEN 1 AND 365),
  voucher_purposes TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('published', 'withdrawn')),
  -- Names, what is measured and the category, lower-cased, for the search.
  search_text TEXT NOT NULL,
  -- Raised by every edit: the ETag an If-Match names.
  version BIGINT NOT NULL DEFAULT 1,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX services_organization ON services (organization_id, id);
CREATE INDEX services_resource ON services (resource_id) WHERE resource_id IS NOT NULL;

CREATE TABLE service_orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  service_id BIGINT NOT NULL REFERENCES services (id),
  provider_id BIGINT NOT NULL REFERENCES organizations (id),
  resource_id BIGINT REFERENCES resources (id),
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  requester_id BIGINT NOT NULL REFERENCES users (id),
  samples BIGINT NOT NULL CHECK (samples BETWEEN 1 AND 10000),
  notes TEXT NOT NULL,
  purpose_kind TEXT NOT NULL,
  customer_category TEXT NOT NULL CHECK (customer_category IN ('internal', 'academic', 'enterprise')),
  price_fen BIGINT NOT NULL CHECK (price_fen >= 0),
  gross_fen BIGINT NOT NULL CHECK (gross_fen >= 0),
  voucher_id BIGINT REFERENCES vouchers (id),
  accepted_co_payment_fen BIGINT CHECK (accepted_co_payment_fen >= 0),
  voucher_share_fen BIGINT NOT NULL DEFAULT 0 CHECK (voucher_share_fen >= 0 AND voucher_share_fen <= gross_fen),
  state TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'samples_received', 'in_progress',
    'report_delivered', 'rejected', 'cancelled')),
  reason TEXT,
  due_on DATE,
  samples_measured BIGINT CHECK (samples_measured >= 0 AND samples_measured <= samples),
  final_gross_fen BIGINT CHECK (final_gross_fen >= 0),
  final_voucher_fen BIGINT CHECK (final_voucher_fen >= 0),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX service_orders_organization ON service_orders (organization_id, id);
CREATE INDEX service_orders_provider ON service_orders (provider_id, id);
CREATE INDEX service_orders_service ON service_orders (service_id, id);

-- Each step of an order, as its history.
CREATE TABLE service_order_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  order_id BIGINT NOT NULL REFERENCES service_orders (id),
  event TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  actor_id BIGINT REFERENCES users (id),
  reason TEXT,
  at TIMESTAMP NOT NULL
);
CREATE INDEX service_order_events_order ON service_order_events (order_id, id);

-- The report of an order, kept in the database so that every server of a cluster serves it and
-- a backup holds it with the order it belongs to.
CREATE TABLE service_reports (
  order_id BIGINT PRIMARY KEY NOT NULL REFERENCES service_orders (id),
  file_name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
  sha256 TEXT NOT NULL,
  content BLOB NOT NULL,
  uploaded_by BIGINT NOT NULL REFERENCES users (id),
  uploaded_at TIMESTAMP NOT NULL
);

ALTER TABLE voucher_ledger ADD COLUMN service_order_id BIGINT REFERENCES service_orders (id);
CREATE UNIQUE INDEX voucher_ledger_one_service_order_hold ON voucher_ledger (service_order_id)
  WHERE movement = 'hold';
