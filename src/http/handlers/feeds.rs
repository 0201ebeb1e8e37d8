//! Calendar feeds: each user creates, lists and revokes their own; calendar applications fetch
//! them by their secret URL, without credentials.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{created, ok};
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::error::ServiceError;
use crate::feeds::{self, Kind};
use crate::http::dto::feeds::{CreateFeed, CreatedFeed, Feed};
use crate::http::extract::Json;
use crate::http::page::Page;
use crate::http::{read, write};

pub async fn create_calendar_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: Actor,
    body: Json<CreateFeed>,
) -> Result<HttpResponse, ServiceError> {
    let body = body.into_inner();
    let kind = Kind::parse(&body.kind).ok_or_else(|| {
        ServiceError::invalid_field("kind", format!("must be one of {}", Kind::NAMES.join(", ")))
    })?;
    let now = state.clock.naive();
    let (row, token) = write(&state, move |conn| {
        feeds::create(conn, &user, (kind, body.resource_id), now)
    })
    .await?;
    let info = req.connection_info();
    let url = format!("{}://{}/feeds/{token}.ics", info.scheme(), info.host());
    let location = format!("/api/v1/calendar-feeds/{}", row.id);
    Ok(created(
        &location,
        CreatedFeed {
            feed: row.into(),
            url,
        },
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_calendar_feeds(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ServiceError> {
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| feeds::list(conn, &user, (after, fetch))).await?;
    Ok(ok(page.finish(rows, |f| f.id.to_string(), Feed::from)))
}

pub async fn get_calendar_feed(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let row = read(&state, move |conn| feeds::find(conn, &user, id)).await?;
    Ok(ok(Feed::from(row)))
}

pub async fn revoke_calendar_feed(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let now = state.clock.naive();
    write(&state, move |conn| feeds::revoke(conn, &user, id, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The feed itself. The token in the path is its only credential, so an unknown one and a
/// revoked one answer the same 404.
pub async fn get_feed_calendar(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ServiceError> {
    let token = path.into_inner();
    if !token.starts_with(feeds::TOKEN_PREFIX) || token.len() > 100 {
        return Err(ServiceError::not_found("calendar feed"));
    }
    let now = state.clock.naive();
    let ics = read(&state, move |conn| feeds::calendar(conn, &token, now)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(ics))
}
