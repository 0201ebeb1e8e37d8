//! The regional catalogue: search, read, create, edit (with If-Match), retire, import.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::created;
use crate::app::AppState;
use crate::db::jurisdictions;
use crate::db::resources::{self, ResourceView};
use crate::domain::actor::Actor;
use crate::domain::catalogue_query::{self, ResourceFilter};
use crate::domain::ids::ResourceId;
use crate::domain::resource::ResourceFields;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::resources::{ImportResult, Resource, RetireResource};
use crate::http::extract::Json;
use crate::http::extract::{Authorized, Managers};
use crate::http::page::Page;
use crate::http::{read_routed, write};

/// A resource with its version as a strong ETag.
fn with_etag(mut resp: HttpResponse, view: ResourceView) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", view.row.version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    let body = serde_json::to_vec(&Resource::from(view)).unwrap_or_default();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.set_body(actix_web::body::BoxBody::new(body))
}

fn bad_query(detail: String) -> ServiceError {
    ServiceError::new(ErrorCode::InvalidQuery, detail)
}

/// A catalogue search as the query string gives it, with its page.
pub struct CatalogueQuery {
    pub filter: ResourceFilter,
    pub city: Option<String>,
    pub page: Page,
    pub extra: std::collections::HashMap<String, String>,
}

/// Reads the catalogue query string; `extra_keys` are the parameters the caller declares besides
/// the catalogue's own.
pub fn parse_filter(query: &str, extra_keys: &[&str]) -> Result<CatalogueQuery, ServiceError> {
    let pairs = serde_urlencoded::from_str(query).map_err(|e| bad_query(e.to_string()))?;
    let q = catalogue_query::parse(pairs, extra_keys).map_err(bad_query)?;
    Ok(CatalogueQuery {
        page: Page::parse(q.limit, q.cursor.as_deref())?,
        filter: q.filter,
        city: q.city,
        extra: q.extra,
    })
}

pub async fn list_resources(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let CatalogueQuery {
        mut filter,
        city,
        page,
        ..
    } = parse_filter(req.query_string(), &[])?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read_routed(&state, user.id, move |conn| {
        if let Some(city) = city {
            filter.jurisdiction_codes = Some(jurisdictions::codes_matching(conn, &city)?);
        }
        Ok(resources::list(conn, &filter, after, fetch)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.finish(rows, |r| r.row.id.to_string(), Resource::from)))
}

pub async fn get_resource(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    // A replica's view may predate a write its next reader made: with replicas, no view is kept.
    let keep = !state.db.has_replicas();
    let view = match state.reads.resource(id).filter(|_| keep) {
        Some(known) => known,
        None => {
            let generation = state.reads.generation();
            let found =
                read_routed(&state, user.id, move |conn| Ok(resources::find(conn, id)?)).await?;
            if keep {
                state.reads.keep_resource(id, found.clone(), generation);
            }
            found
        }
    };
    let view = view.ok_or_else(|| ServiceError::not_found("resource"))?;
    Ok(with_etag(HttpResponse::Ok().finish(), view))
}

pub async fn create_resource(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    body: Json<ResourceFields>,
) -> Result<HttpResponse, ServiceError> {
    let fields = body.into_inner();
    let now = state.clock.naive();
    let view = write(&state, move |conn| {
        crate::catalogue::create_resource(conn, &user, fields, now)
    })
    .await?;
    let at = format!("/api/v1/resources/{}", view.row.id);
    let made = HttpResponse::Created()
        .insert_header((header::LOCATION, at))
        .finish();
    Ok(with_etag(made, view))
}

pub async fn update_resource(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let expected = super::if_match(&req, "GET /api/v1/resources/{id}")?;
    let patch = body.into_inner();
    if !patch.is_object() {
        return Err(ServiceError::new(
            ErrorCode::InvalidBody,
            "the body must be a JSON object of the fields to change",
        ));
    }
    let now = state.clock.naive();
    let view = write(&state, move |conn| {
        crate::catalogue::update_resource(conn, &user, id, expected, patch, now)
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok().finish(), view))
}

pub async fn retire_resource(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<RetireResource>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let reason = body.into_inner().reason;
    let now = state.clock.naive();
    let view = write(&state, move |conn| {
        crate::catalogue::retire_resource(conn, &user, id, &reason, now)
    })
    .await?;
    Ok(with_etag(HttpResponse::Ok().finish(), view))
}

pub async fn import_resources(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let csv_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/csv"));
    if !csv_type {
        return Err(ServiceError::new(
            ErrorCode::UnsupportedMediaType,
            "send the catalogue as Content-Type: text/csv",
        ));
    }
    let bytes = super::upload(body, crate::app::CSV_LIMIT).await?;
    let text = String::from_utf8(bytes.to_vec())
        .ok()
        .filter(|t| !t.contains('\0'))
        .ok_or_else(|| {
            ServiceError::new(
                ErrorCode::ImportFailed,
                "the file is not UTF-8 text without NUL characters",
            )
        })?;
    let now = state.clock.naive();
    let ids = write(&state, move |conn| {
        crate::catalogue::import(conn, &user, &text, false, now)
    })
    .await?;
    Ok(created(
        "/api/v1/resources",
        ImportResult {
            imported: ids.len(),
            resource_ids: ids.into_iter().map(|i| i.0).collect(),
        },
    ))
}
