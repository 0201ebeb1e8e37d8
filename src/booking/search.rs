//! "Which instrument in the region is free then, for that long?": the catalogue search narrowed
//! to active resources, each asked of the availability engine, earliest slot first.

use chrono::Duration;

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

/// A resource and its earliest bookable slots of the requested length in the window.
pub struct Candidate {
    pub loaded: Loaded,
    /// Earliest first, none overlapping another.
    pub slots: Vec<Span>,
}

impl Candidate {
    /// The order of a search's answer: earliest first slot, then the cheaper for enterprises,
    /// then the lower id.
    pub fn rank(&self) -> (Instant, i64, i64) {
        let first = self.slots.first().map_or(Instant::MAX_UTC, |s| s.start);
        let v = &self.loaded.view;
        (first, v.rates.enterprise, v.row.id)
    }
}

/// What a regional search asks: for how long, how many units, and how many slots per resource.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub minutes: i64,
    pub quantity: i64,
    pub per_resource: usize,
}

pub fn search(
    conn: &mut DbConnection,
    mut filter: ResourceFilter,
    window: Span,
    wanted: Wanted,
    now: Instant,
) -> Result<Vec<Candidate>, ServiceError> {
    filter.statuses = vec![ResourceStatus::Active];
    let mut found = Vec::new();
    for view in resources::list(conn, &filter, None, MAX_CANDIDATES)? {
        if view.row.capacity < wanted.quantity {
            continue;
        }
        let loaded = calendar::load(conn, view, window, now)?;
        let slots = slots_of(&loaded, window, wanted, now);
        if !slots.is_empty() {
            found.push(Candidate { loaded, slots });
        }
    }
    found.sort_by_key(Candidate::rank);
    Ok(found)
}

/// Up to `wanted.per_resource` slots of the wanted length, each starting where a free interval
/// does or where the slot before it ends.
fn slots_of(loaded: &Loaded, window: Span, wanted: Wanted, now: Instant) -> Vec<Span> {
    let cal = loaded.calendar();
    let length = Duration::minutes(wanted.minutes.max(cal.rules.min_duration_min.into()));
    let mut slots = Vec::new();
    for span in cal.bookable_spans(window, wanted.quantity, now, wanted.minutes) {
        let mut start = span.start;
        while slots.len() < wanted.per_resource {
            let slot = Span::new(start, cal.ceil_to_grid(start + length));
            if !span.contains(&slot) || cal.check(slot, wanted.quantity, now).is_err() {
                break;
            }
            slots.push(slot);
            start = slot.end;
        }
        if slots.len() == wanted.per_resource {
            break;
        }
    }
    slots
}
