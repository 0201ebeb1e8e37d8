-- What each booking costs and how it is paid: the rate and customer category it was priced at, the
-- gross fee, what it is for, and the voucher (if any) whose share is held for it. The money itself
-- moves in voucher_ledger; these columns say what was quoted and, after use, what was charged.
ALTER TABLE bookings ADD COLUMN customer_category TEXT NOT NULL DEFAULT 'enterprise'
  CHECK (customer_category IN ('internal', 'academic', 'enterprise'));
ALTER TABLE bookings ADD COLUMN rate_fen BIGINT NOT NULL DEFAULT 0 CHECK (rate_fen >= 0);
ALTER TABLE bookings ADD COLUMN gross_fen BIGINT NOT NULL DEFAULT 0 CHECK (gross_fen >= 0);
ALTER TABLE bookings ADD COLUMN purpose_kind TEXT NOT NULL DEFAULT 'research'
  CHECK (purpose_kind IN ('research', 'statutory_certification', 'commercial_inspection', 'bulk_quality_testing'));
ALTER TABLE bookings ADD COLUMN voucher_id BIGINT REFERENCES vouchers (id);
ALTER TABLE bookings ADD COLUMN voucher_share_fen BIGINT NOT NULL DEFAULT 0
  CHECK (voucher_share_fen >= 0 AND voucher_share_fen <= gross_fen);
ALTER TABLE bookings ADD COLUMN final_gross_fen BIGINT CHECK (final_gross_fen >= 0);
ALTER TABLE bookings ADD COLUMN final_voucher_fen BIGINT CHECK (final_voucher_fen >= 0);
CREATE INDEX bookings_voucher ON bookings (voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX voucher_ledger_settlement ON voucher_ledger (movement, at);
