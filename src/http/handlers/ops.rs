//! Liveness, readiness, metrics and the API description.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::error::{ErrorCode, ServiceError};

pub const OPENAPI: &str = include_str!("../../../openapi.yaml");

/// The answer of the health and readiness probes.
#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Ready when a pooled connection answers a query.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ServiceError> {
    let db = state.db.clone();
    match web::block(move || db.ping()).await? {
        Ok(()) => Ok(HttpResponse::Ok().json(Health { status: "ready" })),
        _ => Err(ServiceError::new(
            ErrorCode::DatabaseUnavailable,
            "the database is not reachable",
        )),
    }
}

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ServiceError> {
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&state.metrics.registry.gather())
        .map_err(ServiceError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(OPENAPI)
}
