//! Loads what the availability engine needs about one resource for one window of time.

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;

use crate::db::resources::ResourceView;
use crate::db::{DbConnection, bookings};
use crate::domain::availability::{Calendar, Instant, Occupancy, Span};
use crate::domain::ids::ResourceId;
use crate::domain::opening::OpeningHours;
use crate::error::ServiceError;

/// A resource with its hours, blackouts and blocking bookings around a window.
pub struct Loaded {
    pub view: ResourceView,
    pub tz: Tz,
    pub hours: OpeningHours,
    pub blackouts: Vec<Span>,
    pub occupied: Vec<Occupancy>,
    /// The booking behind each entry of `occupied`.
    pub occupied_ids: Vec<i64>,
}

pub fn naive(t: Instant) -> NaiveDateTime {
    crate::db::truncate(t.naive_utc())
}

pub fn instant(t: NaiveDateTime) -> Instant {
    t.and_utc()
}

impl Loaded {
    pub fn calendar(&self) -> Calendar<'_> {
        Calendar {
            tz: self.tz,
            rules: self.view.rules(),
            capacity: self.view.row.capacity,
            hours: &self.hours,
            blackouts: &self.blackouts,
            occupied: &self.occupied,
        }
    }

    /// Forgets one booking's own occupancy, to ask whether it would fit without itself.
    pub fn without(&mut self, booking: i64) {
        let (occupied, ids) = self
            .occupied
            .iter()
            .zip(&self.occupied_ids)
            .filter(|(_, id)| **id != booking)
            .map(|(o, id)| (*o, *id))
            .unzip();
        self.occupied = occupied;
        self.occupied_ids = ids;
    }

    /// Adds a booking that now holds capacity.
    pub fn occupy(&mut self, booking: i64, span: Span, quantity: i64) {
        self.occupied.push(Occupancy { span, quantity });
        self.occupied_ids.push(booking);
    }

    /// The buffered interval a booking of `span` occupies.
    pub fn buffered(&self, span: Span) -> Span {
        let r = self.view.rules();
        Span::new(
            span.start - Duration::minutes(r.setup_min.into()),
            span.end + Duration::minutes(r.teardown_min.into()),
        )
    }
}

/// Loads the resource and everything that touches `window` (widened by its buffers).
pub fn load(
    conn: &mut DbConnection,
    view: ResourceView,
    window: Span,
    now: Instant,
) -> Result<Loaded, ServiceError> {
    let hours = crate::db::opening_hours::opening_hours(conn, ResourceId(view.row.id))?;
    load_with(conn, (view, hours), window, now)
}

/// Loads what touches `window` (widened by its buffers) for a resource whose view and opening
/// hours were read already.
pub fn load_with(
    conn: &mut DbConnection,
    (view, hours): (ResourceView, OpeningHours),
    window: Span,
    now: Instant,
) -> Result<Loaded, ServiceError> {
    let tz: Tz = view
        .row
        .timezone
        .parse()
        .map_err(|_| ServiceError::internal("stored time zone is invalid"))?;
    let id = ResourceId(view.row.id);
    let r = view.rules();
    let from = naive(window.start - Duration::minutes(i64::from(r.setup_min + r.teardown_min)));
    let to = naive(window.end + Duration::minutes(i64::from(r.setup_min + r.teardown_min)));
    let blackouts = crate::db::blackouts::blackouts_overlapping(conn, id, from, to)?
        .into_iter()
        .map(|b| Span::new(instant(b.start_at), instant(b.end_at)))
        .collect();
    let rows =
        bookings::blocking_between(conn, id, from, to, view.row.longest_block_min, naive(now))?;
    let occupied = rows
        .iter()
        .map(|b| Occupancy {
            span: Span::new(instant(b.block_start), instant(b.block_end)),
            quantity: b.quantity,
        })
        .collect();
    let occupied_ids = rows.iter().map(|b| b.id).collect();
    Ok(Loaded {
        view,
        tz,
        hours,
        blackouts,
        occupied,
        occupied_ids,
    })
}
