//! The occurrences of a weekly series, read by its id.

use diesel::prelude::*;

use super::DbConnection;
use super::bookings::BookingRow;
use super::schema::bookings;

/// Every booking of series `id`, in time order (at most a year of weekly occurrences).
pub fn occurrences(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<BookingRow>> {
    bookings::table
        .filter(bookings::series_id.eq(id))
        .order((bookings::start_at, bookings::id))
        .load(conn)
}
