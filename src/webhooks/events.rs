//! What happens, as webhook events: each is queued for every subscription of the organisations
//! it concerns that asks for its type, in the transaction of the change, once per event and
//! subscription (its key), so a rolled-back change sends nothing and a repeated step nothing twice.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::db::webhooks::{self, NewDelivery};
use crate::domain::types::BookingState;
use crate::domain::webhook::wants;
use crate::error::ServiceError;
use crate::notify::Step;

/// One event, before it is addressed.
pub struct Event<'a> {
    /// Its type, such as `booking.confirmed`.
    pub kind: &'a str,
    /// What makes it this event and no other, such as the history step it comes from.
    pub key: String,
    /// The organisations whose subscriptions hear of it.
    pub orgs: &'a [i64],
    /// Events with the same ordering key reach a subscription in the order they happened.
    pub order: Option<String>,
    /// The state after the event: ids and values both organisations may see.
    pub data: Value,
    pub at: NaiveDateTime,
}

/// Queues the event for each subscription that wants it.
pub fn emit(conn: &mut DbConnection, e: &Event<'_>) -> Result<(), ServiceError> {
    let subs = webhooks::subscribers(conn, e.orgs)?;
    emit_to(conn, &subs, e)
}

/// Queues the event for each of `subs` (subscriptions of its organisations) that wants it.
fn emit_to(
    conn: &mut DbConnection,
    subs: &[(i64, i64, String)],
    e: &Event<'_>,
) -> Result<(), ServiceError> {
    let wanted: Vec<i64> = subs
        .iter()
        .filter(|(_, _, events)| wants(events, e.kind))
        .map(|(id, _, _)| *id)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let body = json!({
        "type": e.kind,
        "timestamp": e.at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": e.data,
    })
    .to_string();
    for webhook_id in wanted {
        let d = NewDelivery {
            webhook_id,
            event_key: &e.key,
            event_type: e.kind,
            ordering_key: e.order.as_deref(),
            payload: &body,
            at: e.at,
        };
        webhooks::enqueue(conn, &d)?;
    }
    Ok(())
}

/// The webhook events a booking's step is: most steps are one; a request confirmed at once is
/// both requested and confirmed, a promotion to a confirmed booking both promoted and confirmed.
pub fn of_step(event: &str, to: BookingState) -> Vec<&'static str> {
    use BookingState::*;
    let first = match (event, to) {
        ("requested", _) => "booking.requested",
        ("approved", _) => "booking.confirmed",
        ("promoted_from_waitlist", _) => "booking.promoted",
        ("rejected" | "competitor_approved", Rejected) => "booking.rejected",
        ("competitor_approved", Waitlisted) => "booking.waitlisted",
        ("cancelled" | "cancelled_by_staff" | "cancelled_for_blackout", _) => "booking.cancelled",
        ("expired", _) => "booking.expired",
        ("no_show", _) => "booking.no_show",
        ("checked_in", _) => "booking.checked_in",
        ("checked_out", _) => "booking.checked_out",
        _ => return Vec::new(),
    };
    let also = matches!(
        (event, to),
        ("requested" | "promoted_from_waitlist", Confirmed)
    );
    match also {
        true => vec![first, "booking.confirmed"],
        false => vec![first],
    }
}

/// A booking's step, for the booker's organisation and the resource's institution.
pub fn booking_step(
    conn: &mut DbConnection,
    step: &Step<'_>,
    booking: &BookingRow,
    view: &ResourceView,
) -> Result<(), ServiceError> {
    let kinds = of_step(step.event, step.to);
    if kinds.is_empty() {
        return Ok(());
    }
    let institution = view.row.organization_id;
    let orgs: Vec<i64> = if institution == booking.organization_id {
        vec![institution]
    } else {
        vec![booking.organization_id, institution]
    };
    // One lookup for all of a step's events: most steps of most bookings have no subscriber.
    let subs = webhooks::subscribers(conn, &orgs)?;
    if subs.is_empty() {
        return Ok(());
    }
    let data = booking_data(booking, institution, (step.event, step.reason));
    for kind in kinds {
        let e = Event {
            kind,
            key: format!("booking-event:{}:{kind}", step.event_id),
            orgs: &orgs,
            order: Some(format!("booking:{}", booking.id)),
            data: data.clone(),
            at: step.at,
        };
        emit_to(conn, &subs, &e)?;
    }
    Ok(())
}

/// A booking as an event carries it: what both its booker's organisation and the institution see.
fn booking_data(b: &BookingRow, institution: i64, (step, reason): (&str, Option<&str>)) -> Value {
    let utc = |t: NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    json!({
        "booking_id": b.id,
        "resource_id": b.resource_id,
        "institution_id": institution,
        "organization_id": b.organization_id,
        "state": b.state.as_str(),
        "step": step,
        "reason": reason,
        "start": utc(b.start_at),
        "end": utc(b.end_at),
        "quantity": b.quantity,
        "series_id": b.series_id,
        "gross_fen": b.final_gross_fen.unwrap_or(b.gross_fen),
        "voucher_share_fen": b.final_voucher_fen.unwrap_or(b.voucher_share_fen),
        "version": b.version,
    })
}
