//! A weekly series as read and as cancelled.

use chrono_tz::Tz;
use serde::Serialize;

use super::bookings::Booking;
use crate::booking::series_life::Cancelled;
use crate::db::bookings::BookingRow;

/// A series with its occurrences (those booked; skipped weeks have no booking).
#[derive(Debug, Serialize)]
pub struct SeriesView {
    pub series_id: String,
    pub resource_id: i64,
    pub booker_id: i64,
    pub occurrences: Vec<Booking>,
}

impl SeriesView {
    pub fn new(id: String, rows: Vec<BookingRow>, tz: Tz) -> SeriesView {
        let (resource_id, booker_id) = rows
            .first()
            .map_or((0, 0), |b| (b.resource_id, b.booker_id));
        SeriesView {
            series_id: id,
            resource_id,
            booker_id,
            occurrences: rows.into_iter().map(|b| Booking::new(b, tz)).collect(),
        }
    }
}

/// What cancelling the rest of a series did to each occurrence still to come.
#[derive(Debug, Serialize)]
pub struct SeriesCancellation {
    pub series_id: String,
    pub cancelled: usize,
    pub occurrences: Vec<CancelledOccurrence>,
}

#[derive(Debug, Serialize)]
pub struct CancelledOccurrence {
    /// `cancelled`, or `kept` with the reason.
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub booking: Booking,
}

impl SeriesCancellation {
    pub fn new(id: String, done: Vec<Cancelled>, tz: Tz) -> SeriesCancellation {
        let occurrences: Vec<CancelledOccurrence> = done
            .into_iter()
            .map(|c| CancelledOccurrence {
                outcome: if c.kept.is_none() {
                    "cancelled"
                } else {
                    "kept"
                },
                reason: c.kept,
                booking: Booking::new(c.booking, tz),
            })
            .collect();
        SeriesCancellation {
            series_id: id,
            cancelled: occurrences
                .iter()
                .filter(|o| o.outcome == "cancelled")
                .count(),
            occurrences,
        }
    }
}
