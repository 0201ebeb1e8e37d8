//! Availability: the free intervals of one resource, and free slots across the region.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::ok;
use crate::app::AppState;
use crate::booking::search;
use crate::domain::actor::Actor;
use crate::domain::availability::Span;
use crate::domain::booking::{MAX_SLOT_MIN, search_window};
use crate::domain::ids::ResourceId;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::bookings::{FreeSlot, Slot};
use crate::http::dto::parse_instant;
use crate::http::read_routed;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityQuery {
    from: String,
    to: String,
    #[serde(default = "one")]
    quantity: i64,
    duration_min: Option<i64>,
}

fn one() -> i64 {
    1
}

pub async fn get_resource_availability(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<AvailabilityQuery>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let q = query.into_inner();
    let window = search_window(
        parse_instant("from", &q.from)?.and_utc(),
        parse_instant("to", &q.to)?.and_utc(),
    )?;
    if q.quantity < 1 {
        return Err(ServiceError::invalid_field(
            "quantity",
            "must be at least 1",
        ));
    }
    let duration = q.duration_min.unwrap_or(0);
    if !(0..=MAX_SLOT_MIN).contains(&duration) {
        return Err(ServiceError::invalid_field(
            "duration_min",
            format!("must be between 0 and {MAX_SLOT_MIN}"),
        ));
    }
    let now = state.clock.now();
    let wanted = (q.quantity, duration);
    let (loaded, slots) = read_routed(&state, user.id, move |conn| {
        search::free_spans(conn, id, window, wanted, now)
    })
    .await?;
    let duration_min = duration.max(loaded.view.row.min_duration_min.into());
    Ok(ok(crate::http::dto::bookings::Availability {
        resource_id: id.0,
        timezone: loaded.tz.name().to_owned(),
        quantity: q.quantity,
        duration_min,
        slots: slots.into_iter().map(|s| Slot::new(s, loaded.tz)).collect(),
    }))
}

fn required<'a>(extra: &'a HashMap<String, String>, k: &str) -> Result<&'a String, ServiceError> {
    extra
        .get(k)
        .ok_or_else(|| ServiceError::new(ErrorCode::InvalidQuery, format!("{k} is required")))
}

/// The search window `[from, to)` of a regional search.
fn window_of(extra: &HashMap<String, String>) -> Result<Span, ServiceError> {
    Ok(search_window(
        parse_instant("from", required(extra, "from")?)?.and_utc(),
        parse_instant("to", required(extra, "to")?)?.and_utc(),
    )?)
}

/// A whole number from 1 to `max`, or `default` when absent.
fn whole(
    extra: &HashMap<String, String>,
    k: &str,
    default: i64,
    max: i64,
) -> Result<i64, ServiceError> {
    let Some(v) = extra.get(k) else {
        return Ok(default);
    };
    v.parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::InvalidQuery,
                format!("{k} must be a whole number from 1 to {max}"),
            )
        })
}

/// Free slots across the region: catalogue filters plus `from`, `to`, `duration_min`, `quantity`
/// and `slots` (per resource, default 3); a page of resources (default 50), earliest slot first.
pub async fn search_availability(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    use crate::http::handlers::resources::{CatalogueQuery, parse_filter};
    let extra_keys = ["from", "to", "duration_min", "quantity", "slots"];
    let CatalogueQuery {
        mut filter,
        city,
        page,
        extra,
    } = parse_filter(req.query_string(), &extra_keys)?;
    let window = window_of(&extra)?;
    required(&extra, "duration_min")?;
    let wanted = search::Wanted {
        minutes: whole(&extra, "duration_min", 0, MAX_SLOT_MIN)?,
        quantity: whole(&extra, "quantity", 1, 1_000_000)?,
        per_resource: whole(&extra, "slots", 3, 20)? as usize,
    };
    let after = page.after.as_deref().map(rank_of).transpose()?;
    let now = state.clock.now();
    let found = read_routed(&state, user.id, move |conn| {
        if let Some(city) = city {
            filter.jurisdiction_codes =
                Some(crate::db::jurisdictions::codes_matching(conn, &city)?);
        }
        search::search(conn, filter, window, wanted, now)
    })
    .await?;
    let rows: Vec<search::Candidate> = found
        .into_iter()
        .filter(|c| after.is_none_or(|a| c.rank() > a))
        .take(page.fetch() as usize)
        .collect();
    Ok(ok(page.finish(
        rows,
        |c| rank_text(c.rank()),
        FreeSlot::from,
    )))
}

type Rank = (chrono::DateTime<chrono::Utc>, i64, i64);

/// A candidate's place in the answer as a cursor's text: first slot, enterprise rate, id.
fn rank_text((start, rate, id): Rank) -> String {
    format!("{}:{rate}:{id}", start.timestamp())
}

fn rank_of(text: &str) -> Result<Rank, ServiceError> {
    let bad = || {
        ServiceError::new(
            ErrorCode::InvalidCursor,
            "cursor does not belong to this search; start again without it",
        )
    };
    let mut parts = text.split(':').map(str::parse::<i64>);
    let mut next = || parts.next().and_then(Result::ok).ok_or_else(bad);
    let (start, rate, id) = (next()?, next()?, next()?);
    let start = chrono::DateTime::from_timestamp(start, 0).ok_or_else(bad)?;
    Ok((start, rate, id))
}
