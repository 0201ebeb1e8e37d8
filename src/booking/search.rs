//! "Which instrument in the region is free then, for that long?": the catalogue search narrowed
//! to active resources, each asked of the availability engine, earliest slot first.

use super::calendar::{self, Loaded};
use crate::db::DbConnection;
use crate::db::resources;
use crate::domain::availability::{Instant, Span};
use crate::domain::catalogue_query::ResourceFilter;
use crate::domain::ids::ResourceId;
use crate::domain::types::ResourceStatus;
use crate::error::ServiceError;

/// The bookable intervals of one resource in `window` for `quantity`, each at least `minutes`
/// long (none while the resource is not active), with the resource they were found on.
pub fn free_spans(
    conn: &mut DbConnection,
    id: ResourceId,
    window: Span,
    (quantity, minutes): (i64, i64),
    now: Instant,
) -> Result<(Loaded, Vec<Span>), ServiceError> {
    let view = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    let loaded = calendar::load(conn, view, window, now)?;
    let spans = if loaded.view.row.status == ResourceStatus::Active {
        loaded
            .calendar()
            .bookable_spans(window, quantity, now, minutes)
    } else {
        Vec::new()
    };
    Ok((loaded, spans))
}

/// How many catalogue matches are examined for free slots.
pub const MAX_CANDIDATES: i64 = 200;

/// A resource and its earliest bookable slot of the requested length in the window.
pub struct Candidate {
    pub loaded: Loaded,
    pub slot: Span,
}

pub fn search(
    conn: &mut DbConnection,
    mut filter: ResourceFilter,
    window: Span,
    minutes: i64,
    quantity: i64,
    now: Instant,
) -> Result<Vec<Candidate>, ServiceError> {
    filter.statuses = vec![ResourceStatus::Active];
    let mut found = Vec::new();
    for view in resources::list(conn, &filter, None, MAX_CANDIDATES)? {
        if view.row.capacity < quantity {
            continue;
        }
        let loaded = calendar::load(conn, view, window, now)?;
        let cal = loaded.calendar();
        let first = cal
            .bookable_spans(window, quantity, now, minutes)
            .into_iter()
            .find_map(|span| {
                let length =
                    chrono::Duration::minutes(minutes.max(cal.rules.min_duration_min.into()));
                let end = cal.ceil_to_grid(span.start + length);
                let slot = Span::new(span.start, end);
                (span.contains(&slot) && cal.check(slot, quantity, now).is_ok()).then_some(slot)
            });
        if let Some(slot) = first {
            found.push(Candidate { loaded, slot });
        }
    }
    // Earliest first; among equals the cheaper for enterprises, then the lower id.
    found.sort_by_key(|c| {
        (
            c.slot.start,
            c.loaded.view.rates.enterprise,
            c.loaded.view.row.id,
        )
    });
    Ok(found)
}
