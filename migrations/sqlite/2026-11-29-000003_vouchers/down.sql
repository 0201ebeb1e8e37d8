DROP TRIGGER voucher_ledger_no_delete;
DROP TRIGGER voucher_ledger_no_update;
DROP TABLE voucher_ledger;
DROP TABLE vouchers;
DROP TABLE voucher_programs;
