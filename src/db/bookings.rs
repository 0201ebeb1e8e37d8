//! Bookings and the lookups that keep the capacity invariant. Every overlap lookup is bounded below by the
//! resource's longest booking, so it reads the same few index entries however long the history.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::actor::Reach;

use super::DbConnection;
use super::schema::{bookings, resources};
use crate::domain::ids::{BookingId, ResourceId};
use crate::domain::money::Tariff;
use crate::domain::types::BookingState;

#[derive(Debug, Clone, Queryable)]
pub struct BookingRow {
    pub id: i64,
    pub resource_id: i64,
    pub booker_id: i64,
    pub organization_id: i64,
    pub state: BookingState,
    pub blocking: bool,
    pub exclusive: bool,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub block_start: NaiveDateTime,
    pub block_end: NaiveDateTime,
    pub quantity: i64,
    pub purpose: String,
    pub wants_waitlist: bool,
    pub series_id: Option<String>,
    pub pending_deadline: Option<NaiveDateTime>,
    pub operator_assisted: bool,
    pub check_in_at: Option<NaiveDateTime>,
    pub check_out_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub customer_category: String,
    pub rate_fen: i64,
    pub gross_fen: i64,
    pub purpose_kind: String,
    pub voucher_id: Option<i64>,
    pub voucher_share_fen: i64,
    pub final_gross_fen: Option<i64>,
    pub final_voucher_fen: Option<i64>,
    /// Whole minutes from check-in to check-out times units, once completed (for reports).
    pub used_unit_minutes: Option<i64>,
    /// The shift's length when priced per shift; none when priced per unit-hour.
    pub shift_min: Option<i32>,
}

impl BookingRow {
    /// The rate it was booked at and what that rate is charged per.
    pub fn tariff(&self) -> Tariff {
        Tariff {
            rate: self.rate_fen,
            shift_min: self.shift_min.map(i64::from),
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bookings)]
pub struct NewBooking {
    pub resource_id: i64,
    pub booker_id: i64,
    pub organization_id: i64,
    pub state: BookingState,
    pub blocking: bool,
    pub exclusive: bool,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub block_start: NaiveDateTime,
    pub block_end: NaiveDateTime,
    pub quantity: i64,
    pub purpose: String,
    pub wants_waitlist: bool,
    pub series_id: Option<String>,
    pub pending_deadline: Option<NaiveDateTime>,
    pub operator_assisted: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub customer_category: String,
    pub rate_fen: i64,
    pub gross_fen: i64,
    pub purpose_kind: String,
    pub voucher_id: Option<i64>,
    pub voucher_share_fen: i64,
    pub shift_min: Option<i32>,
}

/// Serialises writers on one resource. On PostgreSQL the resource row is locked until the
/// transaction ends; on SQLite the `BEGIN IMMEDIATE` transaction already holds the only write
/// lock. Backend-specific by necessity: `FOR UPDATE` does not exist on SQLite.
pub fn lock_resource(
    conn: &mut DbConnection,
    id: ResourceId,
) -> QueryResult<Option<LockedResource>> {
    let query = resources::table
        .find(id.0)
        .select((resources::longest_block_min, resources::version));
    let found: Option<(i32, i64)> = match conn {
        DbConnection::Postgresql(pg) => query.for_update().first(pg).optional()?,
        DbConnection::Sqlite(lite) => query.first(lite).optional()?,
    };
    Ok(found.map(|(longest_block_min, version)| LockedResource {
        longest_block_min,
        version,
    }))
}

/// What a locked resource's row says at the moment of the lock: its longest booking, which
/// bounds the overlap search, and its version, which every edit of the row (rates, rules,
/// operators and status included) advances.
#[derive(Debug, Clone, Copy)]
pub struct LockedResource {
    pub longest_block_min: i32,
    pub version: i64,
}

/// Raises the resource's longest-booking bound when a longer booking arrives.
pub fn note_block_length(conn: &mut DbConnection, id: ResourceId, minutes: i32) -> QueryResult<()> {
    diesel::update(
        resources::table
            .filter(resources::id.eq(id.0))
            .filter(resources::longest_block_min.lt(minutes)),
    )
    .set(resources::longest_block_min.eq(minutes))
    .execute(conn)
    .map(|_| ())
}

/// Blocking bookings of a resource whose buffered interval overlaps `[from, to)`; a pending one
/// past its deadline no longer holds its slot.
pub fn blocking_between(
    conn: &mut DbConnection,
    resource: ResourceId,
    from: NaiveDateTime,
    to: NaiveDateTime,
    longest_block_min: i32,
    now: NaiveDateTime,
) -> QueryResult<Vec<BookingRow>> {
    let lower = from - Duration::minutes(i64::from(longest_block_min) + 1);
    crate::native!(conn, c => bookings::table
        .filter(bookings::resource_id.eq(resource.0))
        .filter(bookings::block_start.ge(lower))
        .filter(bookings::block_start.lt(to))
        .filter(bookings::block_end.gt(from))
        .filter(bookings::blocking.eq(true))
        .filter(
            bookings::state
                .eq(BookingState::Confirmed)
                .or(bookings::pending_deadline.gt(now)),
        )
        .load(c))
}

/// Every live request of a resource (pending or waitlisted) overlapping `[from, to)`.
pub fn requests_between(
    conn: &mut DbConnection,
    resource: ResourceId,
    from: NaiveDateTime,
    to: NaiveDateTime,
    longest_block_min: i32,
) -> QueryResult<Vec<BookingRow>> {
    let lower = from - Duration::minutes(i64::from(longest_block_min) + 1);
    bookings::table
        .filter(bookings::resource_id.eq(resource.0))
        .filter(bookings::block_start.ge(lower))
        .filter(bookings::block_start.lt(to))
        .filter(bookings::block_end.gt(from))
        .filter(bookings::state.eq_any([BookingState::Pending, BookingState::Waitlisted]))
        .order(bookings::id)
        .load(conn)
}

pub fn insert(conn: &mut DbConnection, new: &NewBooking) -> QueryResult<BookingRow> {
    crate::native!(conn, c => diesel::insert_into(bookings::table)
        .values(new)
        .returning(bookings::all_columns)
        .get_result(c))
}

pub fn find(conn: &mut DbConnection, id: BookingId) -> QueryResult<Option<BookingRow>> {
    bookings::table.find(id.0).first(conn).optional()
}

/// Moves a booking from `from` to `to` if it is still in `from` (a compare-and-swap), setting
/// whether it now holds capacity. False when someone else moved it first.
pub fn transition(
    conn: &mut DbConnection,
    id: i64,
    from: BookingState,
    to: BookingState,
    blocking: bool,
    exclusive: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        bookings::table
            .filter(bookings::id.eq(id))
            .filter(bookings::state.eq(from)),
    )
    .set((
        bookings::state.eq(to),
        bookings::blocking.eq(blocking),
        bookings::exclusive.eq(exclusive),
        bookings::version.eq(bookings::version + 1),
        bookings::updated_at.eq(now),
    ))
    .execute(conn)?;
    // Every final state passes here, so the reports' monthly count of how bookings ended is kept
    // here, in the same transaction, rather than at each of the places that end a booking. (The
    // use itself is counted when it is charged, after its check-out is written.)
    if changed == 1
        && matches!(
            to,
            BookingState::Completed | BookingState::NoShow | BookingState::Cancelled
        )
    {
        crate::db::reports::totals::booking_ended(conn, id)?;
    }
    Ok(changed == 1)
}

pub fn set_pending_deadline(
    conn: &mut DbConnection,
    id: i64,
    deadline: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(bookings::table.find(id))
        .set(bookings::pending_deadline.eq(deadline))
        .execute(conn)
        .map(|_| ())
}

pub fn record_check_in(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(bookings::table.find(id))
        .set((
            bookings::check_in_at.eq(at),
            bookings::version.eq(bookings::version + 1),
            bookings::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn record_check_out(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(bookings::table.find(id))
        .set(bookings::check_out_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// Which bookings a list shows: the caller's own, an institution's, or those of resources an
/// operator runs; and optional filters.
#[derive(Debug, Default, Clone)]
pub struct BookingFilter {
    pub resource: Option<i64>,
    pub state: Option<BookingState>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Bookings within `reach` that match `f`, in id order after `after`.
pub fn list(
    conn: &mut DbConnection,
    reach: Reach,
    f: &BookingFilter,
    (after, limit): (Option<i64>, i64),
) -> QueryResult<Vec<BookingRow>> {
    let Some(mut q) = matching(conn, reach, f)? else {
        return Ok(Vec::new());
    };
    if let Some(a) = after {
        q = q.filter(bookings::id.gt(a));
    }
    q.order(bookings::id).limit(limit).load(conn)
}

/// The latest `limit` bookings within `reach` that match `f`, newest first.
pub fn newest_first(
    conn: &mut DbConnection,
    reach: Reach,
    f: &BookingFilter,
    limit: i64,
) -> QueryResult<Vec<BookingRow>> {
    match matching(conn, reach, f)? {
        Some(q) => q.order(bookings::id.desc()).limit(limit).load(conn),
        None => Ok(Vec::new()),
    }
}

/// The bookings within `reach` that match `f`, unordered; none when the reach holds none.
fn matching<'a>(
    conn: &mut DbConnection,
    reach: Reach,
    f: &BookingFilter,
) -> QueryResult<Option<Boxed<'a>>> {
    let mut q = bookings::table.into_boxed();
    match reach {
        Reach::All => {}
        Reach::Institution(org) => {
            q = q.filter(bookings::resource_id.eq_any(super::resources::of_institution(org)))
        }
        Reach::Operated(user) => {
            q = q.filter(bookings::resource_id.eq_any(super::resources::operated(user)))
        }
        Reach::Member { user, .. } => q = q.filter(bookings::booker_id.eq(user.0)),
        Reach::Agency(_) | Reach::Nothing => return Ok(None),
    }
    if let Some(r) = f.resource {
        q = q.filter(bookings::resource_id.eq(r));
        q = within_blocks(conn, q, ResourceId(r), (f.from, f.to))?;
    }
    if let Some(s) = &f.state {
        q = q.filter(bookings::state.eq(*s));
    }
    if let Some(from) = f.from {
        q = q.filter(bookings::end_at.gt(from));
    }
    if let Some(to) = f.to {
        q = q.filter(bookings::start_at.lt(to));
    }
    Ok(Some(q))
}

type Boxed<'a> = bookings::BoxedQuery<'a, <DbConnection as diesel::Connection>::Backend>;

/// Bounds a resource's bookings by `block_start` as well as by their times, so that the
/// `(resource_id, block_start)` index reads only the period's rows, not the resource's history: a
/// booking that ends after `from` starts its block no earlier than the longest block before it.
fn within_blocks<'a>(
    conn: &mut DbConnection,
    mut q: Boxed<'a>,
    resource: ResourceId,
    (from, to): (Option<NaiveDateTime>, Option<NaiveDateTime>),
) -> QueryResult<Boxed<'a>> {
    if let Some(from) = from {
        let longest = lock_free_longest(conn, resource).optional()?.unwrap_or(0);
        let lower = from - Duration::minutes(i64::from(longest) + 1);
        q = q.filter(bookings::block_start.ge(lower));
    }
    if let Some(to) = to {
        q = q.filter(bookings::block_start.lt(to));
    }
    Ok(q)
}

/// The resource's longest-booking bound, read without locking (for read-only lookups).
pub fn lock_free_longest(conn: &mut DbConnection, id: ResourceId) -> QueryResult<i32> {
    resources::table
        .find(id.0)
        .select(resources::longest_block_min)
        .first(conn)
}

/// The highest total quantity that blocking bookings of a resource hold at any instant after
/// `from`: what a lower capacity would have to accommodate.
pub fn peak_usage(
    conn: &mut DbConnection,
    resource: ResourceId,
    from: NaiveDateTime,
) -> QueryResult<i64> {
    let rows: Vec<(NaiveDateTime, NaiveDateTime, i64)> = bookings::table
        .filter(bookings::resource_id.eq(resource.0))
        .filter(bookings::blocking.eq(true))
        .filter(bookings::block_end.gt(from))
        .select((
            bookings::block_start,
            bookings::block_end,
            bookings::quantity,
        ))
        .load(conn)?;
    let mut edges: Vec<(NaiveDateTime, i64)> = rows
        .iter()
        .flat_map(|(s, e, q)| [(*s, *q), (*e, -*q)])
        .collect();
    // Ends sort before starts at the same instant: back-to-back bookings do not add up.
    edges.sort_by_key(|(t, delta)| (*t, *delta));
    let (mut now, mut peak) = (0, 0);
    for (_, delta) in edges {
        now += delta;
        peak = peak.max(now);
    }
    Ok(peak)
}

/// Marks a resource's current and future blocking bookings exclusive exactly when its capacity is
/// one, so the database's overlap guard follows a change of capacity.
pub fn set_exclusive(
    conn: &mut DbConnection,
    resource: ResourceId,
    exclusive: bool,
    from: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        bookings::table
            .filter(bookings::resource_id.eq(resource.0))
            .filter(bookings::blocking.eq(true))
            .filter(bookings::block_end.gt(from)),
    )
    .set(bookings::exclusive.eq(exclusive))
    .execute(conn)
    .map(|_| ())
}

/// Records what a completed booking is charged on its actual use, and the voucher's part of it.
pub fn set_final_charge(
    conn: &mut DbConnection,
    booking: &BookingRow,
    gross: i64,
    voucher: i64,
) -> QueryResult<()> {
    let used = match (booking.check_in_at, booking.check_out_at) {
        (Some(i), Some(o)) => (o - i).num_minutes().max(0) * booking.quantity.max(1),
        _ => 0,
    };
    diesel::update(bookings::table.find(booking.id))
        .set((
            bookings::final_gross_fen.eq(gross),
            bookings::final_voucher_fen.eq(voucher),
            bookings::used_unit_minutes.eq(used),
        ))
        .execute(conn)
        .map(|_| ())
}
