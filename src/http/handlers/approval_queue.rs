//! The decision queue of operators and managers.

use actix_web::{HttpResponse, web};
use chrono_tz::Tz;
use serde::Deserialize;

use super::ok;
use crate::app::AppState;
use crate::booking::queue;
use crate::error::ServiceError;
use crate::http::dto::bookings::{Booking, QueueEntry};
use crate::http::extract::{Authorized, Deciders};
use crate::http::page::Page;
use crate::http::read;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    resource_id: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Pending requests of the resources the caller runs, oldest first, each with the live requests
/// it competes with.
pub async fn list_approval_queue(
    state: web::Data<AppState>,
    Authorized { user: actor, .. }: Authorized<Deciders>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let window = (page.after_id()?, page.fetch());
    let queue = read(&state, move |conn| {
        queue::pending(conn, &actor, q.resource_id, window)
    })
    .await?;
    let zones = queue.zones;
    let tz = move |id: i64| {
        zones
            .get(&id)
            .and_then(|z| z.parse().ok())
            .unwrap_or(Tz::UTC)
    };
    Ok(ok(page.finish(
        queue.entries,
        |(b, _)| b.id.to_string(),
        |(b, rivals)| {
            let zone = tz(b.resource_id);
            QueueEntry {
                competitors: rivals.into_iter().map(|r| Booking::new(r, zone)).collect(),
                booking: Booking::new(b, zone),
            }
        },
    )))
}
