//! One integration test binary; every test runs on SQLite and on PostgreSQL.

mod harness;

mod accounts;
mod allocations;
mod booking_races;
mod bookings;
mod bounds;
mod catalogue;
mod catalogue_edits;
mod credentials;
mod errors;
mod exports;
mod faults;
mod hygiene;
mod layers;
mod mail;
mod money;
mod notices;
mod openapi;
mod processes;
mod region;
mod reminders;
mod reports;
mod server;
mod sign_in;
mod smtp;
mod storage_faults;
mod text;
mod tokens;
mod upkeep;
mod usage;
mod voucher_payments;
mod voucher_rules;
mod vouchers;
