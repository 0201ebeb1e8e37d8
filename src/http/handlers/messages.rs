//! The outbox for admins: how much waits and since when, messages by status with their attempts
//! and last error, and a retry for one message parked as failed or for all of them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::ok;
use crate::app::AppState;
use crate::db::outbox;
use crate::domain::types::MessageStatus;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::messages::{Message, MessageDetail, OutboxState, Retried};
use crate::http::extract::{Admins, Authorized};
use crate::http::page::Page;
use crate::http::{read, write};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    status: Option<MessageStatus>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_messages(
    state: web::Data<AppState>,
    _admin: Authorized<Admins>,
    query: web::Query<MessageQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let status = q.status;
    let rows = read(&state, move |conn| {
        Ok(outbox::list(conn, status, after, fetch)?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |m| m.head.id.to_string(),
        |m| Message::new(&m, &state.mail_domain),
    )))
}

pub async fn get_message(
    state: web::Data<AppState>,
    _admin: Authorized<Admins>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let m = read(&state, move |conn| {
        outbox::find(conn, id)?.ok_or_else(|| ServiceError::not_found("message"))
    })
    .await?;
    Ok(ok(MessageDetail {
        message: Message::new(&m, &state.mail_domain),
        text_body: m.text_body,
    }))
}

/// Queues a failed message again, now, with a fresh count of attempts.
pub async fn retry_message(
    state: web::Data<AppState>,
    _admin: Authorized<Admins>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = path.into_inner();
    let m = write(&state, move |conn| {
        let m = outbox::find(conn, id)?.ok_or_else(|| ServiceError::not_found("message"))?;
        if !outbox::retry(conn, id, clock.naive())? {
            return Err(ServiceError::new(
                ErrorCode::InvalidState,
                format!(
                    "only failed messages are retried; this one is {}",
                    m.head.status
                ),
            ));
        }
        outbox::find(conn, id)?.ok_or_else(|| ServiceError::not_found("message"))
    })
    .await?;
    Ok(ok(Message::new(&m, &state.mail_domain)))
}

/// How the outbox stands: what waits, what is parked, and how long the oldest has waited.
pub async fn get_outbox(
    state: web::Data<AppState>,
    _admin: Authorized<Admins>,
) -> Result<HttpResponse, ServiceError> {
    let backlog = read(&state, |conn| Ok(outbox::backlog(conn)?)).await?;
    Ok(ok(OutboxState::new(&backlog, state.clock.naive())))
}

/// Queues every failed message again, now (after an outage that parked them).
pub async fn retry_failed_messages(
    state: web::Data<AppState>,
    _admin: Authorized<Admins>,
) -> Result<HttpResponse, ServiceError> {
    let now = state.clock.naive();
    let retried = write(&state, move |conn| Ok(outbox::retry_all(conn, now)?)).await?;
    Ok(ok(Retried { retried }))
}
