//! The decision queue: the pending requests an operator or manager decides on, each with the live
//! requests (pending or waitlisted) whose time it overlaps.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::bookings::{self, BookingFilter, BookingRow};
use crate::db::{DbConnection, resources};
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::types::{BookingState, Role};
use crate::error::ServiceError;

/// A page of the queue, and the time zone of each resource in it.
pub struct Queue {
    pub entries: Vec<(BookingRow, Vec<BookingRow>)>,
    pub zones: HashMap<i64, String>,
}

/// Pending requests within the caller's reach (optionally of one resource), oldest id first,
/// after `after`, at most `limit`.
pub fn pending(
    conn: &mut DbConnection,
    actor: &Actor,
    resource: Option<i64>,
    window: (Option<i64>, i64),
) -> Result<Queue, ServiceError> {
    actor.require(&[Role::Manager, Role::Operator])?;
    let filter = BookingFilter {
        state: Some(BookingState::Pending),
        resource,
        ..Default::default()
    };
    let page = bookings::list(conn, actor.reach(), &filter, window)?;
    let mut live = HashMap::new();
    for (resource, (from, to)) in spans_by_resource(&page) {
        let id = ResourceId(resource);
        let longest = bookings::lock_free_longest(conn, id)?;
        live.insert(
            resource,
            bookings::requests_between(conn, id, from, to, longest)?,
        );
    }
    let entries: Vec<_> = page
        .into_iter()
        .map(|request| {
            let rivals = rivals(&live[&request.resource_id], &request);
            (request, rivals)
        })
        .collect();
    let ids = entries.iter().map(|(r, _)| r.resource_id).collect();
    let zones = resources::timezones(conn, ids)?;
    Ok(Queue { entries, zones })
}

/// For each resource on the page, the time from its earliest request's start to its latest
/// one's end: one lookup per resource finds every rival of every request there.
fn spans_by_resource(page: &[BookingRow]) -> HashMap<i64, (NaiveDateTime, NaiveDateTime)> {
    let mut spans: HashMap<i64, (NaiveDateTime, NaiveDateTime)> = HashMap::new();
    for r in page {
        let span = spans
            .entry(r.resource_id)
            .or_insert((r.block_start, r.block_end));
        span.0 = span.0.min(r.block_start);
        span.1 = span.1.max(r.block_end);
    }
    spans
}

/// The other live requests whose buffered time overlaps `request`'s, in id order.
fn rivals(live: &[BookingRow], request: &BookingRow) -> Vec<BookingRow> {
    live.iter()
        .filter(|r| r.id != request.id)
        .filter(|r| r.block_start < request.block_end && r.block_end > request.block_start)
        .cloned()
        .collect()
}
