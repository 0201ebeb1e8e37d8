//! The decision queue: the pending requests an operator or manager decides on, each with the live
//! requests (pending or waitlisted) whose time it overlaps.

use std::collections::HashMap;

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
    let mut entries = Vec::new();
    for request in bookings::list(conn, actor.reach(), &filter, window)? {
        let rivals = rivals(conn, &request)?;
        entries.push((request, rivals));
    }
    let ids = entries.iter().map(|(r, _)| r.resource_id).collect();
    let zones = resources::timezones(conn, ids)?;
    Ok(Queue { entries, zones })
}

/// The other live requests whose buffered time overlaps `request`'s.
fn rivals(conn: &mut DbConnection, request: &BookingRow) -> Result<Vec<BookingRow>, ServiceError> {
    let resource = ResourceId(request.resource_id);
    let longest = bookings::lock_free_longest(conn, resource)?;
    let span = (request.block_start, request.block_end);
    Ok(
        bookings::requests_between(conn, resource, span.0, span.1, longest)?
            .into_iter()
            .filter(|r| r.id != request.id)
            .collect(),
    )
}
