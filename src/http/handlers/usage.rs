//! Recording actual use: check-in and check-out.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::bookings::decision_response;
use crate::app::AppState;
use crate::booking::usage;
use crate::domain::actor::Actor;
use crate::domain::ids::BookingId;
use crate::error::ServiceError;
use crate::http::dto::parse_instant;
use crate::http::idempotency::Key;

/// An optional body for check-in and check-out: when it really happened, if recorded late.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedAt {
    at: Option<String>,
}

/// Reads the optional body: none, or `{"at": "<RFC 3339>"}`.
fn recorded_at(body: &web::Bytes) -> Result<Option<chrono::DateTime<Utc>>, ServiceError> {
    let parsed: RecordedAt = super::optional_json(body, r#"{"at": "<RFC 3339 time>"}"#)?;
    parsed
        .at
        .map(|t| parse_instant("at", &t).map(|n| n.and_utc()))
        .transpose()
}

pub async fn check_in_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let at = recorded_at(&body)?;
    let key = Key::of(&req, &String::from_utf8_lossy(&body))?;
    let id = path.into_inner();
    decision_response(state, &user.clone(), key, move |conn| {
        usage::check_in(conn, &user, BookingId(id), clock.now(), at)
    })
    .await
}

pub async fn check_out_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let at = recorded_at(&body)?;
    let key = Key::of(&req, &String::from_utf8_lossy(&body))?;
    let id = path.into_inner();
    decision_response(state, &user.clone(), key, move |conn| {
        usage::check_out(conn, &user, BookingId(id), clock.now(), at)
    })
    .await
}
