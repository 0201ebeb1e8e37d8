//! Lapses pending requests past their deadline, marks no-shows, completes forgotten check-outs and
//! ends computing allocations past their period, in bounded batches.

use crate::booking::create::expire_overdue;
use crate::booking::usage::{complete_finished, mark_no_shows};
use crate::db::{Db, bookings, due};
use crate::domain::availability::Instant;
use crate::domain::ids::ResourceId;
use crate::error::ServiceError;

/// How many resources, and how many bookings, one run handles at most.
pub const BATCH: i64 = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub resources_with_lapsed_requests: usize,
    pub no_shows: usize,
    /// Bookings still checked in after their end, completed automatically.
    pub completed: usize,
    /// Computing allocations past their period and grace, their voucher holds released.
    pub allocations_ended: usize,
}

impl Done {
    pub fn any(&self) -> bool {
        self.resources_with_lapsed_requests > 0
            || self.no_shows > 0
            || self.completed > 0
            || self.allocations_ended > 0
    }
}

/// One run of the booking jobs at `now`. Each resource's lapsed requests are expired in their own
/// transaction under the resource's lock, as a booking would.
pub fn run(db: &Db, now: Instant) -> Result<Done, ServiceError> {
    let at = crate::booking::calendar::naive(now);
    let due: Vec<i64> = db.read_blocking(|conn| {
        due::resources_with_overdue_requests(conn, at, BATCH).map_err(ServiceError::from)
    })?;
    for resource in &due {
        db.write_blocking(|conn| {
            bookings::lock_resource(conn, ResourceId(*resource))?;
            expire_overdue(conn, ResourceId(*resource), now)
        })?;
    }
    let no_shows = db.write_blocking(|conn| mark_no_shows(conn, now, BATCH))?;
    let completed = db.write_blocking(|conn| complete_finished(conn, now, BATCH))?;
    let allocations_ended = crate::allocations::end_finished(db, now, BATCH)?;
    Ok(Done {
        resources_with_lapsed_requests: due.len(),
        no_shows,
        completed,
        allocations_ended,
    })
}
