//! Weekly series: the same slot every week, with a result per occurrence.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::bookings::{parse_request, tz_of};
use super::{created, keyed, ok};
use crate::app::AppState;
use crate::booking::series::Outcome;
use crate::booking::series_life;
use crate::db::resources;
use crate::domain::actor::Actor;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::bookings::{CreateBooking, Occurrence, Reason, Series};
use crate::http::dto::series::{SeriesCancellation, SeriesView};
use crate::http::extract::Json;
use crate::http::idempotency::Key;
use crate::http::{read, write};

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
    let (series, occurrences) = write(&state, move |conn| {
        let (series, results) =
            crate::booking::series::create_series(conn, &user, &request, weeks, now)?;
        let view = resources::find(conn, request.resource)?
            .ok_or_else(|| ServiceError::internal("resource vanished"))?;
        let booked = results.iter().any(|(_, o)| matches!(o, Outcome::Booked(_)));
        let occurrences: Vec<Occurrence> = results
            .into_iter()
            .enumerate()
            .map(|(i, (span, outcome))| Occurrence::new(i, span, outcome, tz_of(&view)))
            .collect();
        if !booked {
            // Nothing was booked, so there is no series: nothing is written, not even its message.
            let detail = "no occurrence could be booked; occurrences says why for each week";
            let e = ServiceError::new(ErrorCode::ValidationFailed, detail);
            return Err(e.with_extra("occurrences", &occurrences));
        }
        Ok((series, occurrences))
    })
    .await?;
    Ok(created(
        &format!("/api/v1/booking-series/{series}"),
        Series {
            series_id: series,
            occurrences,
        },
    ))
}

/// A series with its occurrences, for its booker and the resource's staff.
pub async fn get_booking_series(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let id = series_id(path.into_inner())?;
    let view = read(&state, move |conn| {
        let (resource, rows) = series_life::read(conn, &user, &id)?;
        Ok(SeriesView::new(id, rows, tz_of(&resource)))
    })
    .await?;
    Ok(ok(view))
}

/// Cancels every occurrence still to come that may be cancelled, with one reason.
pub async fn cancel_booking_series(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<Reason>,
) -> Result<HttpResponse, ServiceError> {
    let id = series_id(path.into_inner())?;
    let reason = body.into_inner().text()?;
    let key = Key::of(&req, &reason)?;
    let now = state.clock.now();
    let actor = user.id;
    keyed(state, (actor, key), (StatusCode::OK, None), move |conn| {
        let (resource, done) = series_life::cancel_rest(conn, &user, &id, &reason, now)?;
        Ok(SeriesCancellation::new(id, done, tz_of(&resource)))
    })
    .await
}

/// A series id as the service gives them out (a UUID); anything else is not one.
fn series_id(text: String) -> Result<String, ServiceError> {
    uuid::Uuid::parse_str(&text)
        .map(|u| u.to_string())
        .map_err(|_| ServiceError::new(ErrorCode::InvalidPath, "a series id is a UUID"))
}
