//! Whether a check-in has room: recorded use never exceeds the resource's capacity, and an early
//! arrival only takes time nobody else holds.

use chrono::Duration;

use super::calendar::{self, instant, naive};
use super::create::{Failure, refusal_error};
use super::usage::EARLY_CHECK_IN_MIN;
use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::db::{DbConnection, sessions};
use crate::domain::availability::{Instant, Refusal, Span};
use crate::domain::ids::ResourceId;
use crate::domain::sessions::{Session, crowding};
use crate::error::{ErrorCode, ServiceError};

/// Refuses a check-in that would put more in use at once than the resource's capacity, naming
/// the sessions in the way: recorded use never exceeds capacity.
pub fn ensure_room(
    conn: &mut DbConnection,
    booking: &BookingRow,
    view: &ResourceView,
    arrived: Instant,
    now: Instant,
) -> Result<(), Failure> {
    let until = naive(now + Duration::minutes(EARLY_CHECK_IN_MIN + 1));
    let window = (naive(arrived), until);
    let resource = ResourceId(view.row.id);
    let all = sessions::overlapping_since(conn, resource, window, view.row.longest_block_min)?;
    let crowd = crowding(&all, arrived, booking.quantity, view.row.capacity);
    if crowd.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = crowd.iter().map(describe).collect();
    let detail = format!(
        "the resource is still in use by {}; check that out before checking this booking in",
        named.join(", ")
    );
    let listed: Vec<serde_json::Value> = crowd.iter().map(session_json).collect();
    Err(Failure::Service(
        ServiceError::new(ErrorCode::InUse, detail).with_extra("sessions", listed),
    ))
}

fn describe(s: &Session) -> String {
    match s.to {
        None => format!(
            "booking {} (checked in since {})",
            s.booking,
            s.from.to_rfc3339()
        ),
        Some(to) => format!(
            "booking {} (in use from {} to {})",
            s.booking,
            s.from.to_rfc3339(),
            to.to_rfc3339()
        ),
    }
}

fn session_json(s: &Session) -> serde_json::Value {
    serde_json::json!({
        "booking_id": s.booking,
        "checked_in_at": s.from.to_rfc3339(),
        "checked_out_at": s.to.map(|t| t.to_rfc3339()),
        "quantity": s.quantity,
    })
}

/// Refuses an early check-in unless the time from arrival to the booking's start is free: it is
/// billed from the arrival, so it must not take another booking's slot or a blackout.
pub fn ensure_free_before(
    conn: &mut DbConnection,
    booking: &BookingRow,
    view: ResourceView,
    arrived: Instant,
    now: Instant,
) -> Result<(), Failure> {
    let early = Span::new(arrived, instant(booking.start_at));
    let mut loaded = calendar::load(conn, view, early, now)?;
    loaded.without(booking.id);
    let spans = match loaded.calendar().check_fit(early, booking.quantity) {
        Ok(()) => return Ok(()),
        Err(Refusal::Conflict { spans } | Refusal::Blackout { spans }) => spans,
        Err(other) => return Err(refusal_error(other)),
    };
    let setup = loaded.buffered(early).start - early.start;
    let taken_until = spans.iter().map(|s| s.end).max().unwrap_or(early.start);
    let from = (taken_until + setup).min(early.end);
    let detail = format!(
        "the time before the booking's start is taken until {}; check in from {} or later",
        taken_until.to_rfc3339(),
        from.to_rfc3339()
    );
    let listed: Vec<serde_json::Value> = spans
        .iter()
        .map(|s| serde_json::json!({"start": s.start.to_rfc3339(), "end": s.end.to_rfc3339()}))
        .collect();
    Err(Failure::Service(
        ServiceError::new(ErrorCode::SlotUnavailable, detail).with_extra("conflicts", listed),
    ))
}
