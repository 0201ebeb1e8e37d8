//! What to offer when a slot cannot be had (taken, blacked out or closed): the nearest free slots
//! on the same resource, and on equivalent resources elsewhere in the region the same slot or,
//! where that is taken too, their nearest free one. Equivalent means the same kind and category,
//! active, enough capacity, and every numeric specification present and at least as high; a
//! resource with no numeric specification has nothing to compare, so nothing is equivalent to it.

use chrono::Duration;
use chrono_tz::Tz;

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
/// How far either side of the wanted slot to look.
const SEARCH_DAYS: i64 = 7;

/// A free slot offered instead, with the resource it is on and that resource's time zone.
pub struct Offer {
    pub view: ResourceView,
    pub tz: Tz,
    pub span: Span,
}

pub fn alternatives(
    conn: &mut DbConnection,
    resource: ResourceId,
    wanted: Span,
    quantity: i64,
    now: Instant,
) -> Result<Vec<Offer>, ServiceError> {
    let Some(view) = resources::find(conn, resource)? else {
        return Ok(Vec::new());
    };
    let around = Span::new(
        wanted.start - Duration::days(SEARCH_DAYS),
        wanted.end + Duration::days(SEARCH_DAYS),
    );
    let mut out = nearest(
        conn,
        view.clone(),
        (wanted, around),
        quantity,
        now,
        PER_KIND,
    )?;
    let mut elsewhere = Vec::new();
    for other in equivalents(conn, &view, quantity)? {
        elsewhere.extend(nearest(conn, other, (wanted, around), quantity, now, 1)?);
    }
    // The same slot first, then the nearest in time.
    elsewhere.sort_by_key(|o| {
        (
            (o.span.start - wanted.start).num_minutes().abs(),
            o.span.start,
        )
    });
    out.extend(elsewhere.into_iter().take(PER_KIND));
    Ok(out)
}

/// Up to `limit` bookable slots of the wanted length on one resource, nearest to `wanted` first.
fn nearest(
    conn: &mut DbConnection,
    view: ResourceView,
    (wanted, around): (Span, Span),
    quantity: i64,
    now: Instant,
    limit: usize,
) -> Result<Vec<Offer>, ServiceError> {
    let loaded: Loaded = calendar::load(conn, view, around, now)?;
    Ok(nearest_slots(&loaded, wanted, quantity, now, limit)
        .into_iter()
        .map(|a| Offer {
            view: loaded.view.clone(),
            tz: loaded.tz,
            span: a.span,
        })
        .collect())
}

fn equivalents(
    conn: &mut DbConnection,
    view: &ResourceView,
    quantity: i64,
) -> Result<Vec<ResourceView>, ServiceError> {
    let specs: Vec<SpecFilter> = view
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
    if specs.is_empty() {
        return Ok(Vec::new());
    }
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
