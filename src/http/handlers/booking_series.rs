//! Weekly series: the same slot every week, with a result per occurrence.

use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::bookings::{parse_request, tz_of};
use super::created;
use crate::app::AppState;
use crate::db::resources;
use crate::domain::actor::Actor;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::bookings::{CreateBooking, Occurrence, Series};
use crate::http::extract::Json;
use crate::http::write;

/// Books the same slot every week for `weeks` weeks; answers a result per occurrence.
pub async fn create_booking_series(
    state: web::Data<AppState>,
    user: Actor,
    body: Json<Value>,
) -> Result<HttpResponse, ServiceError> {
    let raw = body.into_inner();
    let weeks = raw.get("weeks").and_then(Value::as_i64).ok_or_else(|| {
        ServiceError::invalid_field("weeks", "give the number of weekly occurrences, 1 to 52")
    })?;
    if !(1..=52).contains(&weeks) {
        return Err(ServiceError::invalid_field(
            "weeks",
            "must be between 1 and 52",
        ));
    }
    let mut first = raw.clone();
    if let Some(map) = first.as_object_mut() {
        map.remove("weeks");
    }
    let dto: CreateBooking = serde_json::from_value(first).map_err(|e| {
        ServiceError::new(
            ErrorCode::InvalidBody,
            format!("the body does not have the expected fields: {e}"),
        )
    })?;
    let request = parse_request(&dto)?;
    let now = state.clock.now();
    let at = format!("/api/v1/bookings?resource_id={}", request.resource.0);
    let (series, results, tz) = write(&state, move |conn| {
        let (series, results) =
            crate::booking::series::create_series(conn, &user, &request, weeks, now)?;
        let view = resources::find(conn, request.resource)?
            .ok_or_else(|| ServiceError::internal("resource vanished"))?;
        Ok((series, results, tz_of(&view)))
    })
    .await?;
    let occurrences = results
        .into_iter()
        .enumerate()
        .map(|(i, (span, outcome))| Occurrence::new(i, span, outcome, tz))
        .collect();
    Ok(created(
        &at,
        Series {
            series_id: series,
            occurrences,
        },
    ))
}
