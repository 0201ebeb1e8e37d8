//! The regional catalogue: search, read, create, edit (with If-Match), retire, import.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::created;
use crate::app::AppState;
use crate::db::jurisdictions;
use crate::db::resources::{self, ResourceFilter, ResourceView, SpecFilter, SpecOp};
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::resource::ResourceFields;
use crate::domain::types::{Province, ResourceKind, ResourceStatus};
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::resources::{ImportResult, Resource, RetireResource};
use crate::http::extract::Json;
use crate::http::extract::{Authorized, Managers};
use crate::http::page::Page;
use crate::http::{read, write};

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

/// Parses `key>=number` (also <=, >, <, =) for numeric specification filters.
fn parse_spec(text: &str) -> Result<SpecFilter, ServiceError> {
    for (token, op) in [
        (">=", SpecOp::Ge),
        ("<=", SpecOp::Le),
        (">", SpecOp::Gt),
        ("<", SpecOp::Lt),
        ("=", SpecOp::Eq),
    ] {
        if let Some((key, value)) = text.split_once(token) {
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| {
                    bad_query(format!(
                        "spec {text:?}: the value must be a number, as in field_mhz>=600"
                    ))
                })?;
            return Ok(SpecFilter {
                key: key.trim().to_owned(),
                op,
                value,
            });
        }
    }
    Err(bad_query(format!(
        "spec {text:?} must be key>=number, key<=number, key>number, key<number or key=number"
    )))
}

/// Reads the catalogue query string, where `spec` may repeat.
/// A catalogue search as the query string gives it; `extra` holds the parameters the caller
/// declared besides the catalogue's own.
pub struct CatalogueQuery {
    pub filter: ResourceFilter,
    pub city: Option<String>,
    pub page: Page,
    pub extra: std::collections::HashMap<String, String>,
}

pub fn parse_filter(query: &str, extra_keys: &[&str]) -> Result<CatalogueQuery, ServiceError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| bad_query(e.to_string()))?;
    let mut f = ResourceFilter::default();
    let (mut city, mut limit, mut cursor) = (None, None, None);
    let mut extra = std::collections::HashMap::new();
    for (key, value) in pairs {
        let choice = |ok: bool, choices: String| {
            if ok {
                Ok(())
            } else {
                Err(bad_query(format!("{key} must be one of {choices}")))
            }
        };
        match key.as_str() {
            "kind" => {
                choice(
                    ResourceKind::parse(&value).is_some(),
                    ResourceKind::choices(),
                )?;
                f.kind = Some(value)
            }
            "province" => {
                choice(Province::parse(&value).is_some(), Province::choices())?;
                f.province = Some(value)
            }
            "status" => {
                let status = ResourceStatus::parse(&value);
                choice(status.is_some(), ResourceStatus::choices())?;
                f.statuses = status.into_iter().collect()
            }
            "category" => f.category = Some(value),
            "city" => city = Some(value),
            "institution_id" => {
                f.organization_id = Some(
                    value
                        .parse()
                        .map_err(|_| bad_query("institution_id must be an integer".into()))?,
                )
            }
            "min_value_cny" => {
                f.min_value_cny = Some(value.parse().map_err(|_| {
                    bad_query("min_value_cny must be a whole number of yuan".into())
                })?)
            }
            "q" => {
                f.terms = value
                    .split_whitespace()
                    .take(10)
                    .map(str::to_owned)
                    .collect()
            }
            "spec" => f.specs.push(parse_spec(&value)?),
            "limit" => {
                limit = Some(
                    value
                        .parse()
                        .map_err(|_| bad_query("limit must be an integer".into()))?,
                )
            }
            "cursor" => cursor = Some(value),
            other if extra_keys.contains(&other) => {
                extra.insert(key, value);
            }
            other => return Err(bad_query(format!("unknown query parameter {other:?}"))),
        }
    }
    if f.statuses.is_empty() {
        f.statuses = vec![ResourceStatus::Active, ResourceStatus::Suspended];
    }
    let page = Page::parse(limit, cursor.as_deref())?;
    Ok(CatalogueQuery {
        filter: f,
        city,
        page,
        extra,
    })
}

pub async fn list_resources(
    state: web::Data<AppState>,
    _user: Actor,
    req: HttpRequest,
) -> Result<HttpResponse, ServiceError> {
    let CatalogueQuery {
        mut filter,
        city,
        page,
        ..
    } = parse_filter(req.query_string(), &[])?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
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
    _user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let view = read(&state, move |conn| Ok(resources::find(conn, id)?)).await?;
    let view = view.ok_or_else(|| ServiceError::not_found("resource"))?;
    Ok(with_etag(HttpResponse::Ok().finish(), view))
}

pub async fn create_resource(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    body: Json<ResourceFields>,
) -> Result<HttpResponse, ServiceError> {
    let fields = body.into_inner();
    let view = write(&state, move |conn| {
        crate::catalogue::create_resource(conn, &user, fields)
    })
    .await?;
    Ok(with_etag(HttpResponse::Created().finish(), view))
}

/// The version an `If-Match` header names; `*` matches any. Absent is a 428: blind edits lose
/// other people's changes.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ServiceError> {
    let value = req.headers().get(header::IF_MATCH).ok_or_else(|| {
        ServiceError::new(
            ErrorCode::PreconditionRequired,
            "send If-Match with the ETag from GET /api/v1/resources/{id}",
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

pub async fn update_resource(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let expected = if_match(&req)?;
    let patch = body.into_inner();
    if !patch.is_object() {
        return Err(ServiceError::new(
            ErrorCode::InvalidBody,
            "the body must be a JSON object of the fields to change",
        ));
    }
    let view = write(&state, move |conn| {
        crate::catalogue::update_resource(conn, &user, id, expected, patch)
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
    let view = write(&state, move |conn| {
        crate::catalogue::retire_resource(conn, &user, id, &reason)
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
    let ids = write(&state, move |conn| {
        crate::catalogue::import(conn, &user, &text, false)
    })
    .await?;
    Ok(created(ImportResult {
        imported: ids.len(),
        resource_ids: ids.into_iter().map(|i| i.0).collect(),
    }))
}
