//! instrument-booking: the REST backend of the Yangtze River Delta shared instrument platform.

pub mod accounts;
pub mod allocations;
pub mod app;
pub mod audit;
pub mod auth;
pub mod booking;
pub mod catalogue;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod feeds;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod notify;
pub mod qualifications;
pub mod reports;
pub mod settings;
pub mod settlements;
pub mod sign_in;
pub mod telemetry;
pub mod vouchers;
pub mod webhooks;
