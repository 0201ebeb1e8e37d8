//! The bookings and vouchers that scheduled work acts on: each lookup bounded by a batch size and
//! ordered so that a run takes the oldest first and the next run continues where it stopped.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::bookings::BookingRow;
use crate::db::schema::{bookings as b, outbox as o, vouchers as v};
use crate::domain::ids::ResourceId;
use crate::domain::types::{BookingState, VoucherStatus};

/// Pending requests, oldest first.
pub fn pending(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<BookingRow>> {
    b::table
        .filter(b::state.eq(BookingState::Pending))
        .order(b::created_at)
        .limit(limit)
        .load(conn)
}

/// Confirmed bookings starting in `(now, now + horizon]` with no reminder queued yet.
pub fn unreminded(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    horizon: Duration,
    limit: i64,
) -> QueryResult<Vec<BookingRow>> {
    let reminded = o::table
        .filter(o::kind.eq("booking_reminder"))
        .filter(o::booking_id.is_not_null())
        .select(o::booking_id.assume_not_null());
    b::table
        .filter(b::state.eq(BookingState::Confirmed))
        .filter(b::start_at.gt(now))
        .filter(b::start_at.le(now + horizon))
        .filter(diesel::dsl::not(b::id.eq_any(reminded)))
        .order(b::start_at)
        .limit(limit)
        .load(conn)
}

/// Confirmed bookings that started by `now` with nobody checked in.
pub fn unattended(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<BookingRow>> {
    b::table
        .filter(b::state.eq(BookingState::Confirmed))
        .filter(b::check_in_at.is_null())
        .filter(b::start_at.le(now))
        .order(b::start_at)
        .limit(limit)
        .load(conn)
}

/// Confirmed bookings ended by `ended_by` whose user was checked in and never checked out.
pub fn overstayed(
    conn: &mut DbConnection,
    ended_by: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<BookingRow>> {
    b::table
        .filter(b::state.eq(BookingState::Confirmed))
        .filter(b::check_in_at.is_not_null())
        .filter(b::check_out_at.is_null())
        .filter(b::end_at.le(ended_by))
        .order(b::end_at)
        .limit(limit)
        .load(conn)
}

/// Active vouchers expiring in `(from, to]`.
pub fn expiring_vouchers(
    conn: &mut DbConnection,
    (from, to): (NaiveDateTime, NaiveDateTime),
    limit: i64,
) -> QueryResult<Vec<i64>> {
    v::table
        .filter(v::status.eq(VoucherStatus::Active))
        .filter(v::expires_at.gt(from))
        .filter(v::expires_at.le(to))
        .select(v::id)
        .limit(limit)
        .load(conn)
}

/// Requests of a resource that can no longer happen: pending past their decision deadline, or
/// still waitlisted when their slot begins.
pub fn overdue_requests(
    conn: &mut DbConnection,
    resource: ResourceId,
    now: NaiveDateTime,
) -> QueryResult<Vec<BookingRow>> {
    // One round trip on the hot path of every booking; both databases combine the two indexes
    // (SQLite: MULTI-INDEX OR, PostgreSQL: BitmapOr) once their statistics are current.
    let pending = b::state
        .eq(BookingState::Pending)
        .and(b::pending_deadline.le(now));
    let waiting = b::state
        .eq(BookingState::Waitlisted)
        .and(b::start_at.le(now));
    // Sorted here, not in SQL: with ORDER BY id SQLite may prefer walking the whole table in id
    // order over the two index searches (a million-row history made that 100 ms per booking).
    let mut due: Vec<BookingRow> = crate::native!(conn, c => b::table
        .filter(b::resource_id.eq(resource.0))
        .filter(pending.or(waiting))
        .load(c))?;
    due.sort_by_key(|b| b.id);
    Ok(due)
}

/// Resources with requests that can no longer happen, up to `limit`.
pub fn resources_with_overdue_requests(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    // Distinct in Rust: SELECT DISTINCT makes SQLite walk a whole index instead of the few
    // overdue entries. The batch bounds how many are read.
    let mut ids: Vec<i64> = b::table
        .filter(b::state.eq(BookingState::Pending))
        .filter(b::pending_deadline.le(now))
        .select(b::resource_id)
        .limit(limit * 20)
        .load(conn)?;
    ids.extend(
        b::table
            .filter(b::state.eq(BookingState::Waitlisted))
            .filter(b::start_at.le(now))
            .select(b::resource_id)
            .limit(limit * 20)
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(ids)
}
