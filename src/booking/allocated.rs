//! Booking a shift a beamtime panel allocated: the same locked path as any booking, so the
//! capacity invariant holds, but confirmed at once and held only to what is booked and blacked
//! out, not to the self-service rules (lead time, advance window, opening hours, length): the
//! facility set the shift itself.

use super::calendar::naive;
use super::create::{Failure, Request, Terms, new_booking, open_resource, refusal_error};
use super::operation::needs_assistance;
use super::{Step, log_new, payment};
use crate::db::DbConnection;
use crate::db::bookings::{self, BookingRow};
use crate::domain::actor::Actor;
use crate::domain::availability::{Instant, Span};
use crate::domain::ids::{OrganizationId, ResourceId, UserId};
use crate::domain::money::PurposeKind;
use crate::domain::types::BookingState;

/// Books `span` of `resource` for `booker` of `org`, as `actor` allocated it; `why` is the
/// history's reason, naming the call.
pub fn book_shift(
    conn: &mut DbConnection,
    actor: &Actor,
    (resource, span): (ResourceId, Span),
    (booker, org): (UserId, OrganizationId),
    (purpose, why): (&str, &str),
    now: Instant,
) -> Result<BookingRow, Failure> {
    let loaded = open_resource(conn, resource, span, now)?;
    loaded
        .calendar()
        .check_fit(span, 1)
        .map_err(refusal_error)?;
    let minutes = span.minutes();
    let priced = payment::quote(
        conn,
        org,
        &loaded.view,
        (1, minutes),
        None,
        PurposeKind::Research,
        now,
    )?;
    let terms = Terms {
        state: BookingState::Confirmed,
        operator_assisted: needs_assistance(conn, &loaded.view, booker, naive(span.end))?,
        priced,
    };
    let req = Request {
        resource,
        span,
        quantity: 1,
        purpose: purpose.to_owned(),
        waitlist: false,
        series: None,
        purpose_kind: PurposeKind::Research,
        payment: None,
        on_behalf: Some(booker),
    };
    let new = new_booking(&loaded, &req, (booker, org), &terms, now);
    let block_min = (new.block_end - new.block_start).num_minutes() as i32;
    if block_min > loaded.view.row.longest_block_min {
        bookings::note_block_length(conn, resource, block_min)?;
    }
    let row = bookings::insert(conn, &new)?;
    let step = Step {
        event: "requested",
        from: None,
        to: BookingState::Confirmed,
    };
    log_new(conn, &row, &loaded.view, (actor.id, Some(why)), step)?;
    Ok(row)
}
