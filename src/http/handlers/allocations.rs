//! Computing allocations: requests, decisions, balance and burn rate, and the usage that draws
//! them down (a job-accounting CSV or JSON records, posted to the resource).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{created, keyed, ok};
use crate::allocations::usage::{self, Source};
use crate::allocations::{self as service, Request};
use crate::app::AppState;
use crate::db::DbConnection;
use crate::db::allocations::{self as store, AllocationRow};
use crate::domain::actor::Actor;
use crate::domain::allocation::{self as rules, Parsed, PostedJob};
use crate::domain::ids::AllocationId;
use crate::domain::types::AllocationState;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::allocations::{Allocation, AllocationDetail, UsageRecord};
use crate::http::dto::bookings::Reason;
use crate::http::extract::Json;
use crate::http::idempotency::Key;
use crate::http::page::{Page, PageQuery};
use crate::http::{read, write};

/// The allocation with its balance, burn rate and what its voucher has paid.
fn detailed(
    conn: &mut DbConnection,
    v: service::Visible,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<AllocationDetail, ServiceError> {
    let standing = usage::standing(conn, &v.allocation, &v.resource, now)?;
    let voucher_captured_fen = usage::captured(conn, &v.allocation)?;
    Ok(AllocationDetail {
        allocation: Allocation::from(v.allocation),
        standing,
        voucher_captured_fen,
    })
}

pub async fn create_allocation(
    state: web::Data<AppState>,
    user: Actor,
    body: Json<Request>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let r = body.into_inner();
    let row = write(&state, move |conn| {
        service::request(conn, &user, r, clock.now())
    })
    .await?;
    let at = format!("/api/v1/allocations/{}", row.id);
    Ok(created(&at, Allocation::from(row)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationQuery {
    resource_id: Option<i64>,
    state: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Bookers and issuers see their organisation's allocations; operators those on the resources they
/// run; managers those on their institution's; admins all.
pub async fn list_allocations(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<AllocationQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let wanted = q
        .state
        .as_deref()
        .map(|s| {
            AllocationState::parse(s).ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::InvalidQuery,
                    format!("state is one of {}", AllocationState::choices()),
                )
            })
        })
        .transpose()?;
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        let f = store::Filter {
            resource: q.resource_id,
            state: wanted,
        };
        Ok(store::list(conn, user.reach(), &f, (after, fetch))?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |a| a.id.to_string(),
        Allocation::from,
    )))
}

pub async fn get_allocation(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let (id, now) = (path.into_inner(), state.clock.now());
    let body = read(&state, move |conn| {
        let v = service::visible(conn, &user, AllocationId(id))?;
        detailed(conn, v, now)
    })
    .await?;
    Ok(ok(body))
}

/// Runs a decision in one transaction, once per `Idempotency-Key`, answering with the allocation.
async fn decision<F>(
    state: web::Data<AppState>,
    user: &Actor,
    key: Option<Key>,
    f: F,
) -> Result<HttpResponse, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<AllocationRow, ServiceError> + Send + 'static,
{
    keyed(state, (user.id, key), (StatusCode::OK, None), move |conn| {
        f(conn).map(Allocation::from)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    unit_hours: Option<i64>,
}

pub async fn approve_allocation(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let approval: Approval = super::optional_json(&body, r#"{"unit_hours": <whole number>}"#)?;
    let key = Key::of(&req, &String::from_utf8_lossy(&body))?;
    let id = path.into_inner();
    decision(state, &user.clone(), key, move |conn| {
        service::approve(conn, &user, id, approval.unit_hours, clock.now())
    })
    .await
}

pub async fn reject_allocation(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<Reason>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let reason = body.into_inner().text()?;
    let key = Key::of(&req, &reason)?;
    let id = path.into_inner();
    decision(state, &user.clone(), key, move |conn| {
        service::reject(conn, &user, id, &reason, clock.now())
    })
    .await
}

pub async fn cancel_allocation(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let (id, key) = (path.into_inner(), Key::of(&req, "")?);
    decision(state, &user.clone(), key, move |conn| {
        service::cancel(conn, &user, id, clock.now())
    })
    .await
}

/// The jobs recorded against an allocation, oldest record first.
pub async fn list_allocation_usage(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        service::visible(conn, &user, AllocationId(id))?;
        Ok(store::records_page(conn, id, after, fetch)?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |r| r.id.to_string(),
        UsageRecord::from,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Posted {
    records: Vec<PostedJob>,
}

/// The jobs in a body: a job-accounting file (`text/csv`) or `{"records": [...]}` as JSON.
fn jobs_of(content_type: &str, bytes: &[u8], tz: chrono_tz::Tz) -> Result<Parsed, ServiceError> {
    if content_type.starts_with("text/csv") {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            ServiceError::new(ErrorCode::ImportFailed, "the file is not UTF-8 text")
        })?;
        return Ok(rules::parse_csv(text, tz));
    }
    if content_type.starts_with("application/json") {
        let posted: Posted = serde_json::from_slice(bytes).map_err(|e| {
            ServiceError::new(
                ErrorCode::InvalidBody,
                format!("expected {{\"records\": [{{job_id?, account, user, start, end, units, unit_hours}}]}}: {e}"),
            )
        })?;
        return Ok(rules::parse_posted(&posted.records, tz));
    }
    Err(ServiceError::new(
        ErrorCode::UnsupportedMediaType,
        "send job accounting as text/csv (sacct --parsable2 or comma-separated) or as application/json",
    ))
}

/// Records finished jobs on a computing resource the caller runs, drawing down allocations.
pub async fn record_usage(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = path.into_inner();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let bytes = super::upload(body, crate::app::CSV_LIMIT).await?;
    let kind = if content_type.starts_with("text/csv") {
        "csv"
    } else {
        "api"
    };
    let who = user.clone();
    // Hashed and parsed on the blocking pool (a file may hold tens of thousands of jobs), and
    // outside the write transaction, which on SQLite holds the only writer lock.
    let (view, parsed, digest) = read(&state, move |conn| {
        let view = usage::staff_computing(conn, &who, id)?;
        let parsed = jobs_of(&content_type, &bytes, service::tz(&view))?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((view, parsed, digest))
    })
    .await?;
    let summary = write(&state, move |conn| {
        let source = Source {
            digest: &digest,
            kind,
        };
        usage::record(conn, &user, &view, parsed, source, clock.now())
    })
    .await?;
    let at = match summary.allocations.first() {
        Some(a) => format!("/api/v1/allocations/{}/usage", a.allocation_id),
        None => "/api/v1/allocations".to_owned(),
    };
    Ok(created(&at, summary))
}
