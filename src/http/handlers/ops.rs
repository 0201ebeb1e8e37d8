//! Liveness, readiness, metrics and the API description.

use actix_web::{HttpResponse, web};

use crate::app::AppState;
use crate::db::{Fault, Faulty};
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

/// How long readiness waits for a connection: less than a load balancer's health check.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Ready when the database takes a write (tried and rolled back) within a second.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ServiceError> {
    let db = state.db.clone();
    match web::block(move || db.ready(READY_WAIT)).await? {
        Ok(()) => Ok(HttpResponse::Ok().json(Health { status: "ready" })),
        Err(e) => Err(ServiceError::storage(
            e.fault().unwrap_or(Fault::Unreachable),
            e,
        )),
    }
}

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ServiceError> {
    // Without the database the process metrics still answer; the backlog keeps its last value.
    match crate::http::read(&state, |conn| Ok(crate::db::outbox::backlog(conn)?)).await {
        Ok(backlog) => state.metrics.set_backlog(&backlog, state.clock.naive()),
        Err(e) => tracing::warn!(error = %e, "metrics: the outbox backlog could not be read"),
    }
    state.metrics.set_pool(state.db.pool_use());
    state.metrics.set_replica_lags(&state.db.replica_lags());
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

/// The page a problem's `type` (`/problems/CODE`) points to: what the code means and what to do.
pub async fn problem_page(path: web::Path<String>) -> Result<HttpResponse, ServiceError> {
    let text = path.into_inner();
    let code = ErrorCode::parse(&text)
        .ok_or_else(|| ServiceError::not_found(&format!("problem type {text:?}")))?;
    let status =
        actix_web::http::StatusCode::from_u16(code.status()).map_err(ServiceError::internal)?;
    let reason = status.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code}</title></head>\n\
         <body><h1>{code}</h1><p>HTTP {} {reason}</p><p>{}</p>\n\
         <p>The problem's <code>detail</code> says what to fix in the request at hand.</p></body></html>\n",
        status.as_u16(),
        code.help()
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(page))
}
