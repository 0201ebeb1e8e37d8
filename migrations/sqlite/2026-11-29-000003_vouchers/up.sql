-- Voucher programmes, vouchers granted to enterprises, and each voucher's append-only ledger.
-- Balances are never stored: they are sums over the ledger. Money is integer fen.

CREATE TABLE voucher_programs (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  issuer_id BIGINT NOT NULL REFERENCES organizations (id),
  issuer_province TEXT NOT NULL CHECK (issuer_province IN ('SH', 'JS', 'ZJ', 'AH')),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  kind TEXT NOT NULL,
  ratio_bps BIGINT NOT NULL CHECK (ratio_bps BETWEEN 1 AND 10000),
  annual_cap_fen BIGINT NOT NULL CHECK (annual_cap_fen >= 0),
  valid_from DATE NOT NULL,
  valid_until DATE NOT NULL,
  accepted_provinces TEXT NOT NULL,
  eligible_kinds TEXT NOT NULL,
  eligible_categories TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  CHECK (valid_from <= valid_until)
);

CREATE TABLE vouchers (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  program_id BIGINT NOT NULL REFERENCES voucher_programs (id),
  enterprise_id BIGINT NOT NULL REFERENCES organizations (id),
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
  expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX vouchers_enterprise ON vouchers (enterprise_id, id);
CREATE INDEX vouchers_program ON vouchers (program_id, enterprise_id);

-- Never updated or deleted: a correction is a reversal entry naming the entry it reverses.
CREATE TABLE voucher_ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  voucher_id BIGINT NOT NULL REFERENCES vouchers (id),
  movement TEXT NOT NULL CHECK (movement IN ('grant', 'hold', 'release', 'capture', 'expire', 'reversal')),
  amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
  booking_id BIGINT REFERENCES bookings (id),
  reverses_id BIGINT REFERENCES voucher_ledger (id),
  actor_id BIGINT REFERENCES users (id),
  reason TEXT,
  year INTEGER NOT NULL,
  at TIMESTAMP NOT NULL
);
CREATE INDEX voucher_ledger_voucher ON voucher_ledger (voucher_id, id);
CREATE UNIQUE INDEX voucher_ledger_one_hold ON voucher_ledger (booking_id) WHERE movement = 'hold';

CREATE TRIGGER voucher_ledger_no_update BEFORE UPDATE ON voucher_ledger
BEGIN
  SELECT RAISE(ABORT, 'the voucher ledger is append-only');
END;
CREATE TRIGGER voucher_ledger_no_delete BEFORE DELETE ON voucher_ledger
BEGIN
  SELECT RAISE(ABORT, 'the voucher ledger is append-only');
END;
