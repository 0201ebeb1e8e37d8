//! Qualifications for self-operation: grant, list, revoke.

use actix_web::{HttpResponse, web};

use super::{created, ok};
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::ids::{ResourceId, UserId};
use crate::error::ServiceError;
use crate::http::dto::parse_instant;
use crate::http::dto::qualifications::{GrantQualification, Qualification, QualificationQuery};
use crate::http::extract::Json;
use crate::http::page::Page;
use crate::http::{read, write};
use crate::qualifications;

pub async fn grant_qualification(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<GrantQualification>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    let expires = parse_instant("expires_at", &b.expires_at)?;
    let now = state.clock.naive();
    let whom = (UserId(b.user_id), ResourceId(b.resource_id));
    let row = write(&state, move |conn| {
        qualifications::grant(conn, &actor, whom, expires, now)
    })
    .await?;
    let at = format!(
        "/api/v1/qualifications?resource_id={}&user_id={}",
        row.resource_id, row.user_id
    );
    Ok(created(&at, Qualification::from(row)))
}

/// Users see their own qualifications; staff those of a resource they run (`resource_id`).
pub async fn list_qualifications(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<QualificationQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let window = (page.after_id()?, page.fetch());
    let whose = (q.resource_id.map(ResourceId), q.user_id.map(UserId));
    let rows = read(&state, move |conn| {
        qualifications::list(conn, &actor, whose, window)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |r| r.id.to_string(),
        Qualification::from,
    )))
}

pub async fn revoke_qualification(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let now = state.clock.naive();
    let row = write(&state, move |conn| {
        qualifications::revoke(conn, &actor, id, now)
    })
    .await?;
    Ok(ok(Qualification::from(row)))
}
