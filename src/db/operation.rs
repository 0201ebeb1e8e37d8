//! Who runs a booking: its booker alone, or an operator with them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::bookings::BookingRow;
use super::schema::bookings;
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::types::BookingState;

/// The bookings of `user` on `resource` not yet ended or checked in, still to take place.
pub fn upcoming_of(
    conn: &mut DbConnection,
    user: UserId,
    resource: ResourceId,
    now: NaiveDateTime,
) -> QueryResult<Vec<BookingRow>> {
    bookings::table
        .filter(bookings::booker_id.eq(user.0))
        .filter(bookings::resource_id.eq(resource.0))
        .filter(bookings::end_at.gt(now))
        .filter(bookings::check_in_at.is_null())
        .filter(bookings::state.eq_any([
            BookingState::Pending,
            BookingState::Confirmed,
            BookingState::Waitlisted,
        ]))
        .order(bookings::id)
        .load(conn)
}

/// Sets whether an operator assists the booking; a new version, since its terms changed.
pub fn set_assisted(
    conn: &mut DbConnection,
    id: i64,
    assisted: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(bookings::table.find(id))
        .set((
            bookings::operator_assisted.eq(assisted),
            bookings::version.eq(bookings::version + 1),
            bookings::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}
