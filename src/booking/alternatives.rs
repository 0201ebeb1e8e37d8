//! What to offer when a slot is taken: the nearest free slots on the same resource, and the same
//! slot on equivalent resources elsewhere in the region (same kind and category, active, enough
//! capacity, and every numeric specification at least as high).

use super::calendar::{self, Loaded};
use super::create::nearest_slots;
use crate::db::DbConnection;
use crate::db::resources::{self, ResourceView};
use crate::domain::availability::{Instant, Span};
use crate::domain::catalogue_query::{ResourceFilter, SpecFilter, SpecOp};
use crate::domain::ids::ResourceId;
use crate::domain::types::ResourceStatus;
use crate::error::ServiceError;

/// How many alternatives of each kind to offer.
const PER_KIND: usize = 3;
/// How many equivalent resources to try.
const CANDIDATES: i64 = 20;

pub fn alternatives(
    conn: &mut DbConnection,
    resource: ResourceId,
    wanted: Span,
    quantity: i64,
    now: Instant,
) -> Result<Vec<(Loaded, Span)>, ServiceError> {
    let Some(view) = resources::find(conn, resource)? else {
        return Ok(Vec::new());
    };
    let around = Span::new(
        wanted.start - chrono::Duration::days(7),
        wanted.end + chrono::Duration::days(7),
    );
    let same = calendar::load(conn, view.clone(), around, now)?;
    let mut out: Vec<(Loaded, Span)> = Vec::new();
    for alt in nearest_slots(&same, wanted, quantity, now, PER_KIND) {
        let again = calendar::load(conn, same.view.clone(), alt.span, now)?;
        out.push((again, alt.span));
    }
    let mut found = 0;
    for other in equivalents(conn, &view, quantity)? {
        if found == PER_KIND {
            break;
        }
        let loaded = calendar::load(conn, other, wanted, now)?;
        if loaded.calendar().check(wanted, quantity, now).is_ok() {
            out.push((loaded, wanted));
            found += 1;
        }
    }
    Ok(out)
}

fn equivalents(
    conn: &mut DbConnection,
    view: &ResourceView,
    quantity: i64,
) -> Result<Vec<ResourceView>, ServiceError> {
    let specs = view
        .specs()
        .into_iter()
        .filter_map(|(key, v)| {
            v.as_f64().map(|value| SpecFilter {
                key,
                op: SpecOp::Ge,
                value,
            })
        })
        .collect();
    let filter = ResourceFilter {
        kind: Some(view.row.kind.clone()),
        category: Some(view.row.category.clone()),
        statuses: vec![ResourceStatus::Active],
        specs,
        ..ResourceFilter::default()
    };
    Ok(resources::list(conn, &filter, None, CANDIDATES)?
        .into_iter()
        .filter(|r| r.row.id != view.row.id && r.row.capacity >= quantity)
        .collect())
}
