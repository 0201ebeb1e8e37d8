DROP INDEX voucher_ledger_one_service_order_hold;
ALTER TABLE voucher_ledger DROP COLUMN service_order_id;
DROP TABLE service_reports;
DROP TABLE service_order_events;
DROP TABLE service_orders;
DROP TABLE services;
