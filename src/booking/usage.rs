//! Actual use beside the reservation: operators check users in and out; a confirmed booking that
//! nobody checks in to within the resource's grace period becomes a no-show.

use chrono::Duration;

use super::calendar::{instant, naive};
use super::create::Failure;
use super::operation::{self, needs_assistance};
use super::room::{ensure_free_before, ensure_room};
use super::{Step, Visible, log, visible};
use crate::db::bookings::{self, BookingRow};
use crate::db::resources::ResourceView;
use crate::db::{DbConnection, resources};
use crate::domain::actor::Actor;
use crate::domain::availability::Instant;
use crate::domain::ids::{BookingId, ResourceId, UserId};
use crate::domain::types::BookingState;
use crate::error::{ErrorCode, ServiceError};

/// How early before the start an operator may check someone in.
pub const EARLY_CHECK_IN_MIN: i64 = 60;

/// The booking and its resource as they stand once the resource's write lock is held, if the
/// caller may record use on it.
fn staff_only(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
) -> Result<(BookingRow, ResourceView), ServiceError> {
    let Visible { booking, staff, .. } = visible(conn, actor, id)?;
    if !staff {
        return Err(ServiceError::forbidden(
            "only the resource's operators and managers record use",
        ));
    }
    let resource = ResourceId(booking.resource_id);
    bookings::lock_resource(conn, resource)?;
    let booking = bookings::find(conn, id)?.ok_or_else(|| ServiceError::not_found("booking"))?;
    let view =
        resources::find(conn, resource)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    Ok((booking, view))
}

fn refuse(detail: String) -> Failure {
    Failure::Service(ServiceError::new(ErrorCode::InvalidState, detail))
}

/// When use was recorded as happening: now, or earlier when the operator records it late (never
/// in the future).
fn recorded_at(at: Option<Instant>, now: Instant) -> Result<Instant, Failure> {
    match at {
        Some(t) if t > now => Err(Failure::Service(ServiceError::invalid_field(
            "at",
            "use cannot be recorded in the future",
        ))),
        Some(t) => Ok(t),
        None => Ok(now),
    }
}

/// Records that the user arrived, now or at `at` if the operator records it late.
pub fn check_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
    now: Instant,
    at: Option<Instant>,
) -> Result<BookingRow, Failure> {
    let arrived = recorded_at(at, now)?;
    let (booking, view) = staff_only(conn, actor, id)?;
    if booking.state != BookingState::Confirmed || booking.check_in_at.is_some() {
        return Err(refuse(format!(
            "the booking is {} and cannot be checked in (or it already was)",
            booking.state
        )));
    }
    let opens = instant(booking.start_at) - Duration::minutes(EARLY_CHECK_IN_MIN);
    if arrived < opens || arrived >= instant(booking.end_at) {
        return Err(refuse(format!(
            "check-in is possible from {} until the booking ends",
            opens.to_rfc3339()
        )));
    }
    ensure_room(conn, &booking, &view, arrived, now)?;
    let user = UserId(booking.booker_id);
    let lapsed = !booking.operator_assisted && needs_assistance(conn, &view, user, booking.end_at)?;
    if arrived < instant(booking.start_at) {
        ensure_free_before(conn, &booking, view, arrived, now)?;
    }
    if lapsed {
        operation::set(conn, &booking, true, Some(actor.id), naive(now))?;
    }
    bookings::record_check_in(conn, id.0, naive(arrived))?;
    log(
        conn,
        naive(now),
        id.0,
        Some(actor.id),
        Step {
            event: "checked_in",
            from: Some(BookingState::Confirmed),
            to: BookingState::Confirmed,
        },
        None,
    )?;
    Ok(bookings::find(conn, id)?.ok_or_else(|| ServiceError::not_found("booking"))?)
}

/// Records that the user left, now or at `left` if the operator records it late; the booking is
/// completed and charged on the use between check-in and check-out.
pub fn check_out(
    conn: &mut DbConnection,
    actor: &Actor,
    id: BookingId,
    now: Instant,
    left: Option<Instant>,
) -> Result<BookingRow, Failure> {
    let left = recorded_at(left, now)?;
    let (booking, _) = staff_only(conn, actor, id)?;
    let Some(arrived) = booking
        .check_in_at
        .filter(|_| booking.state == BookingState::Confirmed)
    else {
        return Err(refuse("check the user in before checking them out".into()));
    };
    if naive(left) <= arrived {
        return Err(Failure::Service(ServiceError::invalid_field(
            "at",
            format!(
                "must be after the check-in at {}",
                instant(arrived).to_rfc3339()
            ),
        )));
    }
    let by = (Some(actor.id), None);
    if !complete(conn, &booking, naive(left), by, naive(now))? {
        return Err(refuse("the booking changed meanwhile".into()));
    }
    Ok(bookings::find(conn, id)?.ok_or_else(|| ServiceError::not_found("booking"))?)
}

/// Completes a checked-in booking that is still confirmed (a compare-and-swap; false if it
/// changed meanwhile): checked out at `left`, charged on the use, its voucher captured and the
/// rest of the hold released, and the step logged with who did it and why.
fn complete(
    conn: &mut DbConnection,
    booking: &BookingRow,
    left: chrono::NaiveDateTime,
    (actor, why): (Option<UserId>, Option<&str>),
    at: chrono::NaiveDateTime,
) -> Result<bool, ServiceError> {
    let id = booking.id;
    let exclusive = booking.exclusive;
    if !bookings::transition(
        conn,
        id,
        BookingState::Confirmed,
        BookingState::Completed,
        true,
        exclusive,
        at,
    )? {
        return Ok(false);
    }
    bookings::record_check_out(conn, id, left)?;
    let row =
        bookings::find(conn, BookingId(id))?.ok_or_else(|| ServiceError::not_found("booking"))?;
    super::payment::capture(conn, &row, actor, at)?;
    let step = Step {
        event: "checked_out",
        from: Some(BookingState::Confirmed),
        to: BookingState::Completed,
    };
    log(conn, at, id, actor, step, why)?;
    Ok(true)
}

/// Marks up to `batch` confirmed bookings whose grace period has passed without a check-in as
/// no-shows; returns how many. Idempotent: a booking already marked is not seen again.
pub fn mark_no_shows(
    conn: &mut DbConnection,
    now: Instant,
    batch: i64,
) -> Result<usize, ServiceError> {
    let due = crate::db::due::unattended(conn, naive(now), batch)?;
    let mut marked = 0;
    for booking in due {
        let Some(view) = resources::find(conn, ResourceId(booking.resource_id))? else {
            continue;
        };
        let grace = Duration::minutes(view.row.no_show_grace_min.into());
        if instant(booking.start_at) + grace > now {
            continue;
        }
        // The slot keeps its history but no longer holds capacity.
        if bookings::transition(
            conn,
            booking.id,
            BookingState::Confirmed,
            BookingState::NoShow,
            false,
            false,
            naive(now),
        )? {
            let step = Step {
                event: "no_show",
                from: Some(BookingState::Confirmed),
                to: BookingState::NoShow,
            };
            log(
                conn,
                naive(now),
                booking.id,
                None,
                step,
                Some("nobody checked in within the grace period"),
            )?;
            super::payment::release(conn, &booking, None, "no-show", naive(now))?;
            marked += 1;
        }
    }
    Ok(marked)
}

/// How long after its end a booking still checked in is completed automatically.
pub const AUTO_CHECK_OUT_AFTER_MIN: i64 = 30;

/// Completes up to `batch` bookings whose users were checked in but never checked out, half an
/// hour after their end: checked out at the booking's end, charged on that use, and the voucher
/// captured or released as at a check-out. Returns how many.
pub fn complete_finished(
    conn: &mut DbConnection,
    now: Instant,
    batch: i64,
) -> Result<usize, ServiceError> {
    let ended_by = naive(now - Duration::minutes(AUTO_CHECK_OUT_AFTER_MIN));
    let due = crate::db::due::overstayed(conn, ended_by, batch)?;
    let at = naive(now);
    let mut done = 0;
    for booking in due {
        bookings::lock_resource(conn, ResourceId(booking.resource_id))?;
        let left = booking
            .end_at
            .max(booking.check_in_at.unwrap_or(booking.end_at));
        let why = Some("checked out automatically at the booking's end");
        if complete(conn, &booking, left, (None, why), at)? {
            done += 1;
        }
    }
    Ok(done)
}
