-- Month-by-month totals of recorded use, kept in the transaction of each change that records use
-- (a completion, an import of jobs, a booking reaching completed, no-show or cancelled), so that a
-- report over whole months reads a few rows per resource instead of every use. Months are
-- Asia/Shanghai calendar months ('YYYY-MM'). A use across months is shared out by its minutes.
-- voucher_id 0 is "no voucher" (a key column cannot be null).
CREATE TABLE use_months (
  resource_id BIGINT NOT NULL,
  organization_id BIGINT NOT NULL,
  voucher_id BIGINT NOT NULL,
  month TEXT NOT NULL,
  unit_minutes BIGINT NOT NULL,
  fee_fen BIGINT NOT NULL,
  voucher_fen BIGINT NOT NULL,
  uses BIGINT NOT NULL,
  PRIMARY KEY (resource_id, organization_id, voucher_id, month)
);
CREATE INDEX use_months_month ON use_months (month);
CREATE TABLE user_months (
  resource_id BIGINT NOT NULL,
  user_key TEXT NOT NULL,
  month TEXT NOT NULL,
  PRIMARY KEY (resource_id, user_key, month)
);
CREATE INDEX user_months_month ON user_months (month);
CREATE TABLE ending_months (
  resource_id BIGINT NOT NULL,
  month TEXT NOT NULL,
  due BIGINT NOT NULL,
  no_shows BIGINT NOT NULL,
  late_cancels BIGINT NOT NULL,
  PRIMARY KEY (resource_id, month)
);
-- Set once the totals have been built from every recorded use; until then the server rebuilds
-- them at start (for a database that had uses before this migration).
CREATE TABLE rollup_state (
  name TEXT PRIMARY KEY,
  built_at TIMESTAMP NOT NULL
);
-- The longest use ever recorded on each resource, in minutes: how far before a period reports
-- look for uses that began before it and run into it.
CREATE TABLE use_bounds (
  resource_id BIGINT PRIMARY KEY,
  longest_use_min BIGINT NOT NULL
);
