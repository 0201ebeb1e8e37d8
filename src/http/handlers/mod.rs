//! Request handlers, one module per resource, each named after its OpenAPI operationId.

pub mod accounts;
pub mod allocations;
pub mod api_tokens;
pub mod approval_queue;
pub mod audit;
pub mod availability;
pub mod beamtime;
pub mod blackouts;
pub mod booking_series;
pub mod bookings;
pub mod feeds;
pub mod messages;
pub mod opening_hours;
pub mod ops;
pub mod organizations;
pub mod qualifications;
pub mod reports;
pub mod resources;
pub mod service_orders;
pub mod services;
pub mod settings;
pub mod settlements;
pub mod statements;
pub mod usage;
pub mod users;
pub mod vouchers;
pub mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::Value;

use crate::app::AppState;
use crate::db::DbConnection;
use crate::domain::ids::UserId;
use crate::error::ServiceError;
use crate::http::idempotency::{Key, Once, once};

pub fn ok<T: Serialize>(body: T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// A 201 whose `Location` names what was made.
pub fn created<T: Serialize>(location: &str, body: T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(body)
}

/// Whether a CSV download starts with a UTF-8 byte-order mark (`bom`, default yes): without
/// one, Excel reads the Chinese names as another encoding.
pub fn with_bom(bom: Option<bool>) -> bool {
    bom.unwrap_or(true)
}

/// A CSV download, named `name`, with a byte-order mark when `bom`.
pub fn csv_file(name: &str, body: String, bom: bool) -> HttpResponse {
    let body = if bom { format!("\u{feff}{body}") } else { body };
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// Where a 201 says the new thing is, from the JSON answered.
pub type Located = Box<dyn Fn(&Value) -> String>;

/// The path `prefix` followed by the `id` of the JSON answered.
pub fn at_id(prefix: &'static str) -> Located {
    Box::new(move |body| format!("{prefix}/{}", body["id"]))
}

/// Runs a write in one transaction, once per `Idempotency-Key`, and answers `status` with the
/// JSON it returns (or, for a retry, with what the first attempt answered); with `location`,
/// the answer names where the new thing is.
pub async fn keyed<F, T>(
    state: web::Data<AppState>,
    (actor, key): (UserId, Option<Key>),
    (status, location): (StatusCode, Option<Located>),
    work: F,
) -> Result<HttpResponse, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
    T: Serialize,
{
    let clock = state.clock.clone();
    let work = move |conn: &mut DbConnection| {
        serde_json::to_value(work(conn)?).map_err(ServiceError::internal)
    };
    let outcome = crate::http::write(&state, move |conn| {
        let keep = |body: &Value| Some((status, body.to_string()));
        once(conn, actor, key.as_ref(), clock.naive(), work, keep)
    })
    .await?;
    let (status, body) = match outcome {
        Once::Fresh(body) => (status, body),
        Once::Replay(status, body) => (status, body),
    };
    let mut answer = HttpResponse::build(status);
    if let Some(at) = location.filter(|_| status == StatusCode::CREATED) {
        answer.insert_header((actix_web::http::header::LOCATION, at(&body)));
    }
    Ok(answer.json(body))
}

/// The version an `If-Match` header names; `*` matches any. Absent is a 428: blind edits lose
/// other people's changes.
pub fn if_match(req: &actix_web::HttpRequest, read: &str) -> Result<Option<i64>, ServiceError> {
    use crate::error::ErrorCode;
    use actix_web::http::header;
    let value = req.headers().get(header::IF_MATCH).ok_or_else(|| {
        ServiceError::new(
            ErrorCode::PreconditionRequired,
            format!("send If-Match with the ETag from {read}"),
        )
    })?;
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    // Anything that is not one of our ETags matches no version: the edit is refused with 412,
    // after the body has been checked.
    let version = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(-1);
    Ok(Some(version))
}

/// The whole body of an upload, refused past `limit` bytes.
pub async fn upload(body: web::Payload, limit: usize) -> Result<web::Bytes, ServiceError> {
    use crate::error::ErrorCode;
    body.to_bytes_limited(limit)
        .await
        .map_err(|_| {
            ServiceError::new(
                ErrorCode::PayloadTooLarge,
                format!("the upload is larger than {limit} bytes"),
            )
        })?
        .map_err(
            |e| match e.as_error().is_some_and(crate::http::middleware::too_slow) {
                true => crate::http::middleware::too_slow_error(),
                false => ServiceError::new(
                    ErrorCode::ImportFailed,
                    format!("cannot read the upload: {e}"),
                ),
            },
        )
}

/// An optional JSON body: none (or only whitespace) is `T::default()`; anything else must be a
/// `T`, or the 422 says what the body looks like (`shape`).
pub fn optional_json<T>(body: &web::Bytes, shape: &str) -> Result<T, ServiceError>
where
    T: serde::de::DeserializeOwned + Default,
{
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ServiceError::new(
            crate::error::ErrorCode::InvalidBody,
            format!("the body is optional; if sent, it is {shape}: {e}"),
        )
    })
}
