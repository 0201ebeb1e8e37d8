//! Published services: the regional search of them, publishing and editing (with If-Match),
//! and quotes for an order.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{if_match, ok};
use crate::app::AppState;
use crate::db::services::{self as store, Search, ServiceRow};
use crate::domain::actor::Actor;
use crate::domain::ids::ServiceId;
use crate::domain::money::PurposeKind;
use crate::domain::types::{Province, Role};
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::service_orders::Service;
use crate::http::extract::Json;
use crate::http::page::Page;
use crate::http::{read, write};
use crate::service_orders::{self as orders, catalogue};

/// A service with its version as a strong ETag.
fn with_etag(mut resp: HttpResponse, row: ServiceRow) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", row.version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&Service::from(row)).unwrap_or_default();
    resp.set_body(actix_web::body::BoxBody::new(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    q: Option<String>,
    province: Option<String>,
    category: Option<String>,
    organization_id: Option<i64>,
    resource_id: Option<i64>,
    include_withdrawn: Option<bool>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The region's published services, to every signed-in user; an institution's staff may ask for
/// its withdrawn ones too.
pub async fn list_services(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<ServiceQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    if let Some(p) = q
        .province
        .as_deref()
        .filter(|p| Province::parse(p).is_none())
    {
        return Err(ServiceError::new(
            ErrorCode::InvalidQuery,
            format!("province {p:?} is one of {}", Province::choices()),
        ));
    }
    let staff_of = |org: i64| {
        user.role == Role::Admin
            || (matches!(user.role, Role::Manager | Role::Operator)
                && user.org.map(|o| o.0) == Some(org))
    };
    let withdrawn = q.include_withdrawn.unwrap_or(false);
    if withdrawn && !q.organization_id.is_some_and(staff_of) {
        return Err(ServiceError::new(
            ErrorCode::InvalidQuery,
            "include_withdrawn needs organization_id of your own institution",
        ));
    }
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let search = Search {
        text: q.q.filter(|t| !t.trim().is_empty()),
        province: q.province,
        category: q.category,
        organization: q.organization_id,
        resource: q.resource_id,
        withdrawn,
    };
    let rows = read(&state, move |conn| {
        Ok(store::search(conn, &search, (after, fetch))?)
    })
    .await?;
    Ok(ok(page.finish(rows, |s| s.id.to_string(), Service::from)))
}

pub async fn create_service(
    state: web::Data<AppState>,
    user: Actor,
    body: Json<catalogue::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let (draft, now) = (body.into_inner(), state.clock.naive());
    let row = write(&state, move |conn| {
        catalogue::publish(conn, &user, draft, now)
    })
    .await?;
    let at = format!("/api/v1/services/{}", row.id);
    let made = HttpResponse::Created()
        .insert_header((header::LOCATION, at))
        .finish();
    Ok(with_etag(made, row))
}

pub async fn get_service(
    state: web::Data<AppState>,
    _user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ServiceId(path.into_inner());
    let row = read(&state, move |conn| {
        store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("service"))
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok().finish(), row))
}

pub async fn update_service(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<catalogue::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let id = ServiceId(path.into_inner());
    let expected = if_match(&req, "GET /api/v1/services/{id}")?;
    let (draft, now) = (body.into_inner(), state.clock.naive());
    let row = write(&state, move |conn| {
        catalogue::edit(conn, &user, id, expected, draft, now)
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok().finish(), row))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteQuery {
    samples: i64,
    voucher_id: Option<i64>,
    purpose_kind: Option<PurposeKind>,
}

/// What `samples` of the service would cost the caller's organisation, and what a voucher pays.
pub async fn get_service_quote(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<QuoteQuery>,
) -> Result<HttpResponse, ServiceError> {
    let (id, q, now) = (path.into_inner(), query.into_inner(), state.clock.now());
    let purpose = q.purpose_kind.unwrap_or(PurposeKind::Research);
    let body = read(&state, move |conn| {
        orders::quote(conn, &user, id, (q.samples, q.voucher_id, purpose), now)
    })
    .await?;
    Ok(ok(body))
}
