//! The booking engine's rules that need the database: requests, decisions and use, each in one
//! transaction that first takes the resource's write lock, so the capacity invariant of
//! docs/design.md §4 holds under any concurrency.

pub mod allocated;
pub mod alternatives;
pub mod behalf;
pub mod blackout;
pub mod calendar;
pub mod create;
pub mod decide;
pub mod ics;
pub mod operation;
pub mod payment;
pub mod queue;
pub mod room;
pub mod search;
pub mod series;
pub mod series_life;
pub mod usage;

use chrono::NaiveDateTime;

use crate::db::bookings::BookingRow;
use crate::db::resources::{self, ResourceView};
use crate::db::{DbConnection, bookings};
use crate::domain::actor::Actor;
use crate::domain::ids::{BookingId, OrganizationId, ResourceId, UserId};
use crate::domain::types::{BookingState, Role};
use crate::error::ServiceError;

/// A booking with the resource it is for, loaded for a caller allowed to see it.
pub struct Visible {
    pub booking: BookingRow,
    pub resource: ResourceView,
    /// True when the caller may act for the resource: an operator of it, a manager of its
    /// institution, or an admin.
    pub staff: bool,
}

/// Loads a booking if the caller may see it: its booker, the resource's operators, the
/// institution's managers, admins. Anyone else gets 404, as if it did not exist.
pub fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
) -> Result<Visible, ServiceError> {
    let booking = bookings::find(conn, id)?.ok_or_else(|| ServiceError::not_found("booking"))?;
    let resource = resources::find(conn, ResourceId(booking.resource_id))?
        .ok_or_else(|| ServiceError::internal("booking without resource"))?;
    let staff = is_staff(conn, actor, &resource)?;
    if staff || booking.booker_id == actor.id.0 {
        Ok(Visible {
            booking,
            resource,
            staff,
        })
    } else {
        Err(ServiceError::not_found("booking"))
    }
}

/// True when `actor` runs `resource`: admin, a manager of its institution, or its operator.
pub fn is_staff(
    conn: &mut DbConnection,
    actor: &Actor,
    resource: &ResourceView,
) -> Result<bool, ServiceError> {
    let own = actor.org == Some(OrganizationId(resource.row.organization_id));
    Ok(match actor.role {
        Role::Admin => true,
        Role::Manager => own,
        Role::Operator => {
            own && resources::is_operator(conn, ResourceId(resource.row.id), actor.id)?
        }
        _ => false,
    })
}

/// One step of a booking's history: what happened and the states before and after.
pub struct Step<'a> {
    pub event: &'a str,
    pub from: Option<BookingState>,
    pub to: BookingState,
}

/// Records one step of a booking's history, and queues the messages it causes.
pub fn log(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    booking: i64,
    actor: Option<UserId>,
    step: Step<'_>,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    let e = crate::db::booking_events::Event {
        booking_id: booking,
        actor,
        event: step.event,
        from_state: step.from.map(BookingState::as_str),
        to_state: step.to.as_str(),
        reason,
        at,
    };
    let event_id = crate::db::booking_events::add_event(conn, &e)?;
    // Its messages and webhook events go out through the outbox, in this same transaction.
    let news = crate::notify::Step {
        event_id,
        booking,
        event: step.event,
        to: step.to,
        actor,
        reason,
        at,
    };
    let told = crate::notify::tells(step.event, step.to);
    if !told && crate::webhooks::events::of_step(step.event, step.to).is_empty() {
        return Ok(());
    }
    let row = bookings::find(conn, BookingId(booking))?
        .ok_or_else(|| ServiceError::internal("booking vanished"))?;
    let view = resources::find(conn, ResourceId(row.resource_id))?
        .ok_or_else(|| ServiceError::internal("resource vanished"))?;
    crate::webhooks::events::booking_step(conn, &news, &row, &view)?;
    crate::notify::booking_step(conn, &news, Some((&row, &view)))
}

/// [`log`] for a booking whose row (as it now stands) and resource the caller already holds,
/// which spares the notification reloading them: the hot path of a new booking.
pub fn log_new(
    conn: &mut DbConnection,
    row: &BookingRow,
    view: &ResourceView,
    (actor, reason): (UserId, Option<&str>),
    step: Step<'_>,
) -> Result<(), ServiceError> {
    let e = crate::db::booking_events::Event {
        booking_id: row.id,
        actor: Some(actor),
        event: step.event,
        from_state: step.from.map(BookingState::as_str),
        to_state: step.to.as_str(),
        reason,
        at: row.created_at,
    };
    let event_id = crate::db::booking_events::add_event(conn, &e)?;
    let news = crate::notify::Step {
        event_id,
        booking: row.id,
        event: step.event,
        to: step.to,
        actor: Some(actor),
        reason,
        at: row.created_at,
    };
    crate::webhooks::events::booking_step(conn, &news, row, view)?;
    crate::notify::booking_step(conn, &news, Some((row, view)))
}
