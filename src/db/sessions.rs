//! Recorded use on a resource: the check-ins that may still overlap a new one.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::bookings;
use crate::domain::ids::ResourceId;
use crate::domain::sessions::Session;
use crate::domain::types::BookingState;

/// How long after its booking's end a session may stay open: the automatic check-out comes half
/// an hour after the end, and an operator may record a check-out late.
const OVERSTAY_BOUND_MIN: i64 = 24 * 60;

/// Sessions of a resource still open, or closed after `since`, of bookings that start before
/// `until` (no check-in is recorded earlier than that before a start). Bounded below like every
/// overlap lookup, by the resource's longest booking and how long a session may overstay.
pub fn overlapping_since(
    conn: &mut DbConnection,
    resource: ResourceId,
    (since, until): (NaiveDateTime, NaiveDateTime),
    longest_block_min: i32,
) -> QueryResult<Vec<Session>> {
    let lower = since - Duration::minutes(i64::from(longest_block_min) + OVERSTAY_BOUND_MIN);
    let rows: Vec<(i64, Option<NaiveDateTime>, Option<NaiveDateTime>, i64)> = bookings::table
        .filter(bookings::resource_id.eq(resource.0))
        .filter(bookings::block_start.ge(lower))
        .filter(bookings::block_start.lt(until))
        .filter(bookings::check_in_at.is_not_null())
        .filter(
            bookings::check_out_at.gt(since).or(bookings::check_out_at
                .is_null()
                .and(bookings::state.eq(BookingState::Confirmed))),
        )
        .select((
            bookings::id,
            bookings::check_in_at,
            bookings::check_out_at,
            bookings::quantity,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(booking, from, to, quantity)| {
            Some(Session {
                booking,
                from: from?.and_utc(),
                to: to.map(|t| t.and_utc()),
                quantity,
            })
        })
        .collect())
}
