//! Blackouts (maintenance, shutdowns): read by anyone, managed by the resource's managers.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{created, ok};
use crate::app::AppState;
use crate::audit;
use crate::db::resources;
use crate::domain::actor::Actor;
use crate::domain::ids::{BlackoutId, ResourceId};
use crate::error::ServiceError;
use crate::http::dto::parse_instant;
use crate::http::dto::resources::{Blackout, CreateBlackout, CreatedBlackout};
use crate::http::extract::Json;
use crate::http::extract::{Authorized, Managers};
use crate::http::page::Page;
use crate::http::{read_routed, write};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackoutQuery {
    from: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_blackouts(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<BlackoutQuery>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let q = query.into_inner();
    let from = q
        .from
        .as_deref()
        .map(|f| parse_instant("from", f))
        .transpose()?;
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read_routed(&state, user.id, move |conn| {
        resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
        Ok(crate::db::blackouts::list_blackouts(
            conn, id, from, after, fetch,
        )?)
    })
    .await?;
    Ok(ok(page.finish(rows, |b| b.id.to_string(), Blackout::from)))
}

pub async fn create_blackout(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<CreateBlackout>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = ResourceId(path.into_inner());
    let b = body.into_inner();
    let (start, end, reason) = b.parse()?;
    let choice = b.collisions;
    let (row, collisions) = write(&state, move |conn| {
        crate::booking::blackout::create(conn, &user, (id, start, end, reason), choice, clock.now())
    })
    .await?;
    let at = format!("/api/v1/resources/{}/blackouts", id.0);
    Ok(created(
        &at,
        CreatedBlackout {
            blackout: Blackout::from(row),
            collisions,
        },
    ))
}

pub async fn delete_blackout(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ServiceError> {
    let (id, blackout) = path.into_inner();
    let (id, blackout) = (ResourceId(id), BlackoutId(blackout));
    let now = state.clock.naive();
    write(&state, move |conn| {
        let view = crate::catalogue::editable_resource(conn, &user, id)?;
        let gone = crate::db::blackouts::delete_blackout(conn, id, blackout)?
            .ok_or_else(|| ServiceError::not_found("blackout"))?;
        let change = audit::Change {
            subject: ("blackout", gone.id),
            action: "blackout.deleted",
            owner: Some(view.row.organization_id),
            party: None,
            reason: None,
        };
        let before = Blackout::from(gone);
        audit::record(conn, &user, change, (Some(&before), None::<&()>), now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
