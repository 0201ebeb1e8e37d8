//! Self-operation judged over the whole booking: a user runs a resource that requires it alone
//! only while a qualification covers the booking to its end. A grant or a revocation re-judges
//! the user's upcoming bookings there, and a check-in judges the booking once more.

use chrono::NaiveDateTime;

use super::{Step, log};
use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::db::{DbConnection, operation, qualifications, resources};
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::types::SelfOperation;
use crate::error::ServiceError;

/// Whether an operator must assist `user` on `resource` from now until `until`.
pub fn needs_assistance(
    conn: &mut DbConnection,
    view: &ResourceView,
    user: UserId,
    until: NaiveDateTime,
) -> Result<bool, ServiceError> {
    let resource = ResourceId(view.row.id);
    Ok(view.row.self_operation != SelfOperation::Open
        && !qualifications::holds(conn, user, resource, until)?)
}

/// Re-judges `user`'s upcoming bookings of `resource` after their qualifications changed;
/// a booking that loses self-operation is recorded and its booker told.
pub fn reassess(
    conn: &mut DbConnection,
    (user, resource): (UserId, ResourceId),
    actor: UserId,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let Some(view) = resources::find(conn, resource)? else {
        return Ok(());
    };
    for booking in operation::upcoming_of(conn, user, resource, now)? {
        let assisted = needs_assistance(conn, &view, user, booking.end_at)?;
        if assisted != booking.operator_assisted {
            set(conn, &booking, assisted, Some(actor), now)?;
        }
    }
    Ok(())
}

/// Records who runs `booking` from now on, in its history and (for assistance) in a message.
pub fn set(
    conn: &mut DbConnection,
    booking: &BookingRow,
    assisted: bool,
    actor: Option<UserId>,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    operation::set_assisted(conn, booking.id, assisted, at)?;
    let (event, why) = if assisted {
        (
            "operation_assisted",
            "no qualification of the booker's covers the booking to its end",
        )
    } else {
        (
            "operation_self",
            "a qualification of the booker's now covers the booking",
        )
    };
    let step = Step {
        event,
        from: Some(booking.state),
        to: booking.state,
    };
    log(conn, at, booking.id, actor, step, Some(why))
}
