DROP TRIGGER voucher_ledger_no_change ON voucher_ledger;
DROP FUNCTION voucher_ledger_append_only();
DROP TABLE voucher_ledger;
DROP TABLE vouchers;
DROP TABLE voucher_programs;
