//! Wire types: they mirror `openapi.yaml`. Database rows never go to the wire directly.

pub mod accounts;
pub mod allocations;
pub mod beamtime;
pub mod bookings;
pub mod feeds;
pub mod messages;
pub mod qualifications;
pub mod reports;
pub mod resources;
pub mod series;
pub mod service_orders;
pub mod settings;
pub mod statements;
pub mod vouchers;
pub mod webhooks;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::error::ServiceError;

/// A stored UTC time as it is sent: RFC 3339 with `Z`.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Parses an RFC 3339 time that carries its offset, into stored UTC.
pub fn parse_instant(field: &str, text: &str) -> Result<NaiveDateTime, ServiceError> {
    let t = DateTime::parse_from_rfc3339(text)
        .map(|t| crate::db::truncate(t.naive_utc()))
        .map_err(|_| {
            ServiceError::invalid_field(
                field,
                format!("{text:?} is not an RFC 3339 time with an offset, such as 2026-12-01T09:00:00+08:00"),
            )
        })?;
    if !crate::domain::date_in_range(t.date()) {
        return Err(ServiceError::invalid_field(
            field,
            crate::domain::date_range_message(),
        ));
    }
    Ok(t)
}
