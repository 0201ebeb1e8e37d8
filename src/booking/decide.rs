//! Decisions on bookings: approve (a compare-and-swap plus the capacity check), reject, cancel,
//! and the waitlist moving on when space frees. Each runs in the caller's write transaction after
//! the resource's lock is taken.

use chrono::Duration;

use super::calendar::{Loaded, instant, naive};
use super::create::{Failure, open_resource, refusal_error};
use super::{Step, Visible, log, payment, visible};
use crate::db::DbConnection;
use crate::db::bookings::{self, BookingRow};
use crate::domain::actor::Actor;
use crate::domain::availability::{Instant, Span};
use crate::domain::booking::{cancellable, is_blocking, pending_deadline};
use crate::domain::ids::{BookingId, ResourceId};
use crate::domain::types::{ApprovalPolicy, BookingState, ConflictPolicy};
use crate::error::{ErrorCode, ServiceError};

fn span_of(b: &BookingRow) -> Span {
    Span::new(instant(b.start_at), instant(b.end_at))
}

fn policy(loaded: &Loaded) -> ConflictPolicy {
    ConflictPolicy::parse(&loaded.view.row.conflict_policy).unwrap_or(ConflictPolicy::FirstCome)
}

/// 409 when the booking is no longer in a state that allows the action.
fn wrong_state(b: &BookingRow, action: &str) -> ServiceError {
    ServiceError::new(
        ErrorCode::InvalidState,
        format!("the booking is {} and cannot be {action}", b.state),
    )
}

/// Loads a booking the caller runs the resource of, with the resource locked and loaded around it.
fn staff_booking(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
    now: Instant,
) -> Result<(BookingRow, Loaded), Failure> {
    let Visible { booking, staff, .. } = visible(conn, actor, id)?;
    if !staff {
        return Err(ServiceError::forbidden(
            "only the resource's operators and managers decide on bookings",
        )
        .into());
    }
    let loaded = open_resource(
        conn,
        ResourceId(booking.resource_id),
        span_of(&booking),
        now,
    )?;
    // Read again under the lock: another operator may have decided meanwhile.
    let booking = bookings::find(conn, id)?.ok_or_else(|| ServiceError::not_found("booking"))?;
    Ok((booking, loaded))
}

/// Approves a pending request if it still fits. Under `operator_choice`, competitors that no
/// longer fit are rejected, or waitlisted if they asked, each with a reason.
pub fn approve(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
    now: Instant,
) -> Result<BookingRow, Failure> {
    let (booking, mut loaded) = staff_booking(conn, actor, id, now)?;
    if booking.state != BookingState::Pending {
        return Err(wrong_state(&booking, "approved").into());
    }
    loaded.without(booking.id);
    let span = span_of(&booking);
    loaded
        .calendar()
        .check_fit(span, booking.quantity)
        .map_err(refusal_error)?;
    let exclusive = loaded.view.row.capacity == 1;
    let at = naive(now);
    if !bookings::transition(
        conn,
        booking.id,
        BookingState::Pending,
        BookingState::Confirmed,
        true,
        exclusive,
        at,
    )? {
        return Err(wrong_state(&booking, "approved").into());
    }
    let step = Step {
        event: "approved",
        from: Some(BookingState::Pending),
        to: BookingState::Confirmed,
    };
    log(conn, at, booking.id, Some(actor.id), step, None)?;
    loaded.occupy(booking.id, loaded.buffered(span), booking.quantity);
    if policy(&loaded) == ConflictPolicy::OperatorChoice {
        settle_competitors(conn, actor, &loaded, &booking, now)?;
    }
    Ok(bookings::find(conn, BookingId(booking.id))?
        .ok_or_else(|| ServiceError::internal("approved booking vanished"))?)
}

/// Competing requests that no longer fit leave the queue: waitlisted if they asked, else rejected.
fn settle_competitors(
    conn: &mut DbConnection,
    actor: &Actor,
    loaded: &Loaded,
    winner: &BookingRow,
    now: Instant,
) -> Result<(), ServiceError> {
    let at = naive(now);
    let rows = bookings::requests_between(
        conn,
        ResourceId(winner.resource_id),
        winner.block_start,
        winner.block_end,
        loaded.view.row.longest_block_min,
    )?;
    for other in rows
        .iter()
        .filter(|o| o.id != winner.id && o.state == BookingState::Pending)
    {
        if loaded
            .calendar()
            .check_fit(span_of(other), other.quantity)
            .is_ok()
        {
            continue;
        }
        let to = if other.wants_waitlist {
            BookingState::Waitlisted
        } else {
            BookingState::Rejected
        };
        if bookings::transition(conn, other.id, BookingState::Pending, to, false, false, at)? {
            let step = Step {
                event: "competitor_approved",
                from: Some(BookingState::Pending),
                to,
            };
            let reason = format!(
                "another request for this time was approved (booking {})",
                winner.id
            );
            log(conn, at, other.id, Some(actor.id), step, Some(&reason))?;
        }
    }
    Ok(())
}

/// Rejects a pending or waitlisted request, with a reason for the booker.
pub fn reject(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
    reason: &str,
    now: Instant,
) -> Result<BookingRow, Failure> {
    let (booking, _) = staff_booking(conn, actor, id, now)?;
    if !matches!(
        booking.state,
        BookingState::Pending | BookingState::Waitlisted
    ) {
        return Err(wrong_state(&booking, "rejected").into());
    }
    let at = naive(now);
    if !bookings::transition(
        conn,
        booking.id,
        booking.state,
        BookingState::Rejected,
        false,
        false,
        at,
    )? {
        return Err(wrong_state(&booking, "rejected").into());
    }
    let step = Step {
        event: "rejected",
        from: Some(booking.state),
        to: BookingState::Rejected,
    };
    log(conn, at, booking.id, Some(actor.id), step, Some(reason))?;
    payment::release(conn, &booking, Some(actor.id), "rejected", at)?;
    Ok(bookings::find(conn, BookingId(booking.id))?
        .ok_or_else(|| ServiceError::internal("booking vanished"))?)
}

/// Cancels a booking. Its booker must respect the resource's cancellation lead time; operators
/// and managers may cancel at any time. Freed capacity goes to the waitlist.
pub fn cancel(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
    reason: &str,
    now: Instant,
) -> Result<BookingRow, Failure> {
    cancel_as(conn, actor, (id, Told::Alone), reason, now)
}

/// How a cancellation is told: in its own message, or in its series' one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    Alone,
    WithSeries,
}

/// [`cancel`], told as `told` says.
pub fn cancel_as(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, told): (BookingId, Told),
    reason: &str,
    now: Instant,
) -> Result<BookingRow, Failure> {
    let Visible { booking, staff, .. } = visible(conn, actor, id)?;
    let loaded = open_resource_any(conn, &booking, now)?;
    let booking = bookings::find(conn, id)?.ok_or_else(|| ServiceError::not_found("booking"))?;
    let state = booking.state;
    if !cancellable(state) {
        return Err(wrong_state(&booking, "cancelled").into());
    }
    let lead = Duration::minutes(loaded.view.row.cancel_lead_time_min.into());
    if !staff && state == BookingState::Confirmed && instant(booking.start_at) - lead < now {
        let latest = (instant(booking.start_at) - lead).to_rfc3339();
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!("too late to cancel: this resource takes cancellations until {latest}; ask its operator"),
        )
        .into());
    }
    let at = naive(now);
    if !bookings::transition(
        conn,
        booking.id,
        booking.state,
        BookingState::Cancelled,
        false,
        false,
        at,
    )? {
        return Err(wrong_state(&booking, "cancelled").into());
    }
    let event = if told == Told::WithSeries {
        "cancelled_with_series"
    } else if staff && booking.booker_id != actor.id.0 {
        "cancelled_by_staff"
    } else {
        "cancelled"
    };
    log(
        conn,
        at,
        booking.id,
        Some(actor.id),
        Step {
            event,
            from: Some(booking.state),
            to: BookingState::Cancelled,
        },
        Some(reason),
    )?;
    match told {
        Told::Alone => payment::release(conn, &booking, Some(actor.id), "cancelled", at)?,
        Told::WithSeries => {
            payment::release_untold(conn, &booking, Some(actor.id), "cancelled", at)?
        }
    }
    if booking.blocking {
        promote_waitlist(conn, &booking, now)?;
    }
    Ok(bookings::find(conn, BookingId(booking.id))?
        .ok_or_else(|| ServiceError::internal("booking vanished"))?)
}

/// Locks and loads a booking's resource whatever its status (a retired resource's bookings can
/// still be cancelled).
fn open_resource_any(
    conn: &mut DbConnection,
    booking: &BookingRow,
    now: Instant,
) -> Result<Loaded, Failure> {
    let id = ResourceId(booking.resource_id);
    bookings::lock_resource(conn, id)?;
    let view = crate::db::resources::find(conn, id)?
        .ok_or_else(|| ServiceError::internal("resource vanished"))?;
    Ok(super::calendar::load(conn, view, span_of(booking), now)?)
}

/// After `freed` released its slot, waitlisted requests that now fit move on, oldest first:
/// confirmed on auto-approval resources, pending otherwise.
pub fn promote_waitlist(
    conn: &mut DbConnection,
    freed: &BookingRow,
    now: Instant,
) -> Result<(), ServiceError> {
    let id = ResourceId(freed.resource_id);
    let view = crate::db::resources::find(conn, id)?
        .ok_or_else(|| ServiceError::internal("resource vanished"))?;
    let longest = view.row.longest_block_min;
    let mut loaded = super::calendar::load(
        conn,
        view,
        Span::new(instant(freed.block_start), instant(freed.block_end)),
        now,
    )?;
    for waiting in
        bookings::requests_between(conn, id, freed.block_start, freed.block_end, longest)?
    {
        if waiting.state != BookingState::Waitlisted || instant(waiting.start_at) <= now {
            continue;
        }
        if loaded
            .calendar()
            .check_fit(span_of(&waiting), waiting.quantity)
            .is_ok()
        {
            promote(conn, &mut loaded, &waiting, now)?;
        }
    }
    Ok(())
}

/// Moves a waitlisted request that now fits into the state a new request would take (confirmed
/// or pending), and counts its time as taken for the requests behind it.
fn promote(
    conn: &mut DbConnection,
    loaded: &mut Loaded,
    waiting: &BookingRow,
    now: Instant,
) -> Result<(), ServiceError> {
    let to = if loaded.view.row.approval_policy == ApprovalPolicy::Auto.as_str() {
        BookingState::Confirmed
    } else {
        BookingState::Pending
    };
    let blocking = is_blocking(to, policy(loaded));
    let exclusive = blocking && loaded.view.row.capacity == 1;
    let at = naive(now);
    let from = BookingState::Waitlisted;
    if !bookings::transition(conn, waiting.id, from, to, blocking, exclusive, at)? {
        return Ok(());
    }
    let span = span_of(waiting);
    if to == BookingState::Pending {
        let deadline = naive(pending_deadline(now, span.start));
        bookings::set_pending_deadline(conn, waiting.id, Some(deadline))?;
    }
    let step = Step {
        event: "promoted_from_waitlist",
        from: Some(from),
        to,
    };
    log(conn, at, waiting.id, None, step, Some("space became free"))?;
    if blocking {
        loaded.occupy(waiting.id, loaded.buffered(span), waiting.quantity);
    }
    Ok(())
}
