//! Webhook subscriptions, their deliveries and redelivery.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{created, ok};
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::webhooks::{Delivery, Webhook, WebhookBody, WebhookWithSecret};
use crate::http::extract::Json;
use crate::http::page::Page;
use crate::http::{read, write};
use crate::webhooks;

pub async fn create_webhook(
    state: web::Data<AppState>,
    user: Actor,
    body: Json<WebhookBody>,
) -> Result<HttpResponse, ServiceError> {
    let asked = body.into_inner();
    if asked.status.is_some() {
        return Err(ServiceError::invalid_field(
            "status",
            "a new subscription is active; pause it afterwards",
        ));
    }
    let (now, policy) = (state.clock.naive(), state.webhooks.clone());
    let (row, secret) = write(&state, move |conn| {
        webhooks::create(conn, (&user, &policy), asked.into(), now)
    })
    .await?;
    let location = format!("/api/v1/webhooks/{}", row.id);
    Ok(created(
        &location,
        WebhookWithSecret {
            webhook: row.into(),
            secret,
        },
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookQuery {
    organization_id: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_webhooks(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<WebhookQuery>,
) -> Result<HttpResponse, ServiceError> {
    if query.organization_id.is_some_and(|o| o < 1) {
        return Err(ServiceError::new(
            ErrorCode::InvalidQuery,
            "organization_id is an organisation's id, a positive integer",
        ));
    }
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (after, fetch, org) = (page.after_id()?, page.fetch(), query.organization_id);
    let rows = read(&state, move |conn| {
        webhooks::list(conn, &user, org, (after, fetch))
    })
    .await?;
    Ok(ok(page.finish(rows, |w| w.id.to_string(), Webhook::from)))
}

pub async fn get_webhook(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let row = read(&state, move |conn| webhooks::find(conn, &user, id)).await?;
    Ok(ok(Webhook::from(row)))
}

pub async fn update_webhook(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    body: Json<WebhookBody>,
) -> Result<HttpResponse, ServiceError> {
    let (id, asked) = (path.into_inner(), body.into_inner());
    let (now, policy) = (state.clock.naive(), state.webhooks.clone());
    let row = write(&state, move |conn| {
        webhooks::update(conn, (&user, &policy), id, asked.into(), now)
    })
    .await?;
    Ok(ok(Webhook::from(row)))
}

pub async fn delete_webhook(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let (id, now) = (path.into_inner(), state.clock.naive());
    write(&state, move |conn| webhooks::delete(conn, &user, id, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let (now, policy) = (state.clock.naive(), state.webhooks.clone());
    let (row, secret) = write(&state, move |conn| {
        webhooks::rotate(conn, (&user, &policy), id, now)
    })
    .await?;
    Ok(ok(WebhookWithSecret {
        webhook: row.into(),
        secret,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Newest first: the cursor is the last delivery of the page before.
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (before, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        webhooks::deliveries::list(conn, &user, id, (before, fetch))
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |d| d.0.id.to_string(),
        Delivery::from,
    )))
}

pub async fn redeliver_webhook_delivery(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ServiceError> {
    let (ids, now) = (path.into_inner(), state.clock.naive());
    let row = write(&state, move |conn| {
        webhooks::deliveries::redeliver(conn, &user, ids, now)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(Delivery::from(row)))
}
