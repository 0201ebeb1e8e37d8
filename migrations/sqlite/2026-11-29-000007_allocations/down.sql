DROP INDEX voucher_ledger_one_allocation_hold;
ALTER TABLE voucher_ledger DROP COLUMN allocation_id;
DROP TABLE usage_records;
DROP TABLE usage_imports;
DROP TABLE allocations;
