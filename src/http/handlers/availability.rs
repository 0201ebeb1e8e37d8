//! Availability: the free intervals of one resource, and free slots across the region.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ok;
use crate::app::AppState;
use crate::db::resources;
use crate::domain::actor::Actor;
use crate::domain::availability::Span;
use crate::domain::ids::ResourceId;
use crate::domain::types::ResourceStatus;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::bookings::Slot;
use crate::http::dto::parse_instant;
use crate::http::read;

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

/// The longest window an availability question may span.
const MAX_WINDOW_DAYS: i64 = 62;

pub async fn get_resource_availability(
    state: web::Data<AppState>,
    _user: Actor,
    path: web::Path<i64>,
    query: web::Query<AvailabilityQuery>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let q = query.into_inner();
    let window = Span::new(
        parse_instant("from", &q.from)?.and_utc(),
        parse_instant("to", &q.to)?.and_utc(),
    );
    if window.end <= window.start || (window.end - window.start).num_days() > MAX_WINDOW_DAYS {
        return Err(ServiceError::invalid_field(
            "to",
            format!("must be after from, at most {MAX_WINDOW_DAYS} days later"),
        ));
    }
    if q.quantity < 1 {
        return Err(ServiceError::invalid_field(
            "quantity",
            "must be at least 1",
        ));
    }
    let duration = q.duration_min.unwrap_or(0);
    if !(0..=366 * 1440).contains(&duration) {
        return Err(ServiceError::invalid_field(
            "duration_min",
            "must be between 0 and 527040",
        ));
    }
    let now = state.clock.now();
    let (loaded, slots) = read(&state, move |conn| {
        let view = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
        let loaded = crate::booking::calendar::load(conn, view, window, now)?;
        let active = loaded.view.row.status == ResourceStatus::Active;
        let slots = if active {
            loaded
                .calendar()
                .bookable_spans(window, q.quantity, now, duration)
        } else {
            Vec::new()
        };
        Ok((loaded, slots))
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

/// Free slots across the region: catalogue filters plus `from`, `to`, `duration_min` and
/// `quantity`; at most `limit` resources (default 50), earliest slot first.
pub async fn search_availability(
    state: web::Data<AppState>,
    _user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    use crate::http::handlers::resources::{CatalogueQuery, parse_filter};
    let CatalogueQuery {
        filter,
        city,
        page,
        extra,
    } = parse_filter(
        req.query_string(),
        &["from", "to", "duration_min", "quantity"],
    )?;
    let need = |k: &str| {
        extra
            .get(k)
            .ok_or_else(|| ServiceError::new(ErrorCode::InvalidQuery, format!("{k} is required")))
    };
    let window = Span::new(
        parse_instant("from", need("from")?)?.and_utc(),
        parse_instant("to", need("to")?)?.and_utc(),
    );
    if window.end <= window.start || (window.end - window.start).num_days() > MAX_WINDOW_DAYS {
        return Err(ServiceError::invalid_field(
            "to",
            format!("must be after from, at most {MAX_WINDOW_DAYS} days later"),
        ));
    }
    let number = |k: &str, default: i64, max: i64| -> Result<i64, ServiceError> {
        match extra.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ServiceError::new(
                        ErrorCode::InvalidQuery,
                        format!("{k} must be a whole number from 1 to {max}"),
                    )
                }),
        }
    };
    need("duration_min")?;
    let minutes = number("duration_min", 0, 366 * 1440)?;
    let quantity = number("quantity", 1, 1_000_000)?;
    let limit = page.limit;
    let now = state.clock.now();
    let found = read(&state, move |conn| {
        let mut filter = filter;
        if let Some(city) = city {
            filter.jurisdiction_codes =
                Some(crate::db::jurisdictions::codes_matching(conn, &city)?);
        }
        crate::booking::search::search(conn, filter, window, minutes, quantity, now)
    })
    .await?;
    let items: Vec<Value> = found
        .into_iter()
        .take(limit as usize)
        .map(|c| {
            let v = &c.loaded.view;
            json!({
                "resource": {
                    "id": v.row.id, "name_en": v.row.name_en, "name_zh": v.row.name_zh, "kind": v.row.kind,
                    "institution": {"id": v.row.organization_id, "name_en": v.institution_en, "name_zh": v.institution_zh},
                    "province": v.jurisdiction.province, "city_en": v.jurisdiction.name_en, "rates": v.rates,
                },
                "slot": Slot::new(c.slot, c.loaded.tz),
            })
        })
        .collect();
    Ok(ok(json!({"items": items, "next_cursor": null})))
}
