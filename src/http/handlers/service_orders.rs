//! Service orders: placing one (with an `Idempotency-Key`), listing and reading them with their
//! history, the lab's steps, and the report's upload and download.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{at_id, keyed, ok};
use crate::app::AppState;
use crate::db::DbConnection;
use crate::db::service_orders::{self as store, Filter, OrderRow};
use crate::domain::actor::Actor;
use crate::domain::ids::OrderId;
use crate::domain::service_order::MAX_REPORT_BYTES;
use crate::domain::types::{OrderState, Role};
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::bookings::Reason;
use crate::http::dto::service_orders::{OrderEvent, Report, ServiceOrder};
use crate::http::extract::Json;
use crate::http::idempotency::Key;
use crate::http::page::Page;
use crate::http::{read, write};
use crate::service_orders::{self as service, Request, report};

pub async fn create_service_order(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    body: Json<serde_json::Value>,
) -> Result<HttpResponse, ServiceError> {
    let raw = body.into_inner();
    let r: Request = serde_json::from_value(raw.clone()).map_err(|e| {
        ServiceError::new(
            ErrorCode::InvalidBody,
            format!("the body does not have the expected fields: {e}"),
        )
    })?;
    let key = Key::of(&req, &raw.to_string())?;
    let clock = state.clock.clone();
    let located = (StatusCode::CREATED, Some(at_id("/api/v1/service-orders")));
    keyed(state, (user.id, key), located, move |conn| {
        service::order(conn, &user, r, clock.now()).map(ServiceOrder::from)
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    service_id: Option<i64>,
    state: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Bookers see their organisation's orders; managers their institution's; operators those of
/// the services they run; admins all.
pub async fn list_service_orders(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<OrderQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let wanted = q
        .state
        .as_deref()
        .map(|s| {
            OrderState::parse(s).ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::InvalidQuery,
                    format!("state is one of {}", OrderState::choices()),
                )
            })
        })
        .transpose()?;
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let operator_org = user
        .org
        .filter(|_| user.role == Role::Operator)
        .map(|o| o.0);
    let rows = read(&state, move |conn| {
        let f = Filter {
            service: q.service_id,
            state: wanted,
        };
        Ok(store::list(
            conn,
            user.reach(),
            operator_org,
            &f,
            (after, fetch),
        )?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |o| o.id.to_string(),
        ServiceOrder::from,
    )))
}

pub async fn get_service_order(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = OrderId(path.into_inner());
    let row = read(&state, move |conn| {
        Ok(service::visible(conn, &user, id)?.order)
    })
    .await?;
    Ok(ok(ServiceOrder::from(row)))
}

pub async fn get_service_order_history(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let rows = read(&state, move |conn| {
        service::visible(conn, &user, OrderId(id))?;
        Ok(store::history(conn, id)?)
    })
    .await?;
    let items: Vec<OrderEvent> = rows.into_iter().map(OrderEvent::from).collect();
    Ok(ok(serde_json::json!({ "items": items })))
}

/// Runs a step in one transaction, once per `Idempotency-Key`, answering with the order.
async fn step<F>(
    state: web::Data<AppState>,
    user: &Actor,
    key: Option<Key>,
    f: F,
) -> Result<HttpResponse, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<OrderRow, ServiceError> + Send + 'static,
{
    keyed(state, (user.id, key), (StatusCode::OK, None), move |conn| {
        f(conn).map(ServiceOrder::from)
    })
    .await
}

macro_rules! plain_step {
    ($(#[$m:meta])* $name:ident => $call:path) => {
        $(#[$m])*
        pub async fn $name(
            state: web::Data<AppState>,
            user: Actor,
            req: HttpRequest,
            path: web::Path<i64>,
        ) -> Result<HttpResponse, ServiceError> {
            let clock = state.clock.clone();
            let (id, key) = (path.into_inner(), Key::of(&req, "")?);
            step(state, &user.clone(), key, move |conn| {
                $call(conn, &user, id, clock.now())
            })
            .await
        }
    };
}

plain_step!(
    /// The lab accepts a submitted order; the voucher's share is held.
    accept_service_order => service::accept
);
plain_step!(
    /// The samples arrived; the report's due date is set.
    receive_service_order_samples => service::receive_samples
);
plain_step!(
    /// Measuring has begun.
    start_service_order => service::start
);

macro_rules! reasoned_step {
    ($(#[$m:meta])* $name:ident => $call:path) => {
        $(#[$m])*
        pub async fn $name(
            state: web::Data<AppState>,
            user: Actor,
            req: HttpRequest,
            path: web::Path<i64>,
            body: Json<Reason>,
        ) -> Result<HttpResponse, ServiceError> {
            let clock = state.clock.clone();
            let reason = body.into_inner().text()?;
            let (id, key) = (path.into_inner(), Key::of(&req, &reason)?);
            step(state, &user.clone(), key, move |conn| {
                $call(conn, &user, id, &reason, clock.now())
            })
            .await
        }
    };
}

reasoned_step!(
    /// The lab declines a submitted order, saying why.
    reject_service_order => service::reject
);
reasoned_step!(
    /// The orderer (until the samples arrive) or the lab cancels an order, saying why.
    cancel_service_order => service::cancel
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    samples_measured: i64,
}

/// The report is delivered for the samples measured; the voucher's share of them is captured.
pub async fn deliver_service_order(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<Delivery>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let measured = body.into_inner().samples_measured;
    let (id, key) = (path.into_inner(), Key::of(&req, &measured.to_string())?);
    step(state, &user.clone(), key, move |conn| {
        service::deliver(conn, &user, id, measured, clock.now())
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileName {
    file_name: String,
}

/// Uploads (or replaces) the report of an order being measured: the body is the file.
pub async fn put_service_order_report(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    query: web::Query<FileName>,
    body: web::Payload,
) -> Result<HttpResponse, ServiceError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = super::upload(body, MAX_REPORT_BYTES).await?;
    let (id, name, now) = (
        path.into_inner(),
        query.into_inner().file_name,
        state.clock.naive(),
    );
    let meta = write(&state, move |conn| {
        let file = report::Upload {
            file_name: &name,
            content_type: &content_type,
            bytes: &bytes,
        };
        report::upload(conn, &user, id, file, now)
    })
    .await?;
    Ok(ok(Report::from(meta)))
}

/// Downloads the report, for the ordering organisation and the lab only.
pub async fn get_service_order_report(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let (meta, bytes) = read(&state, move |conn| report::download(conn, &user, id)).await?;
    // The name is cleaned at upload; RFC 6266's filename* carries names beyond ASCII.
    let ascii: String = meta
        .file_name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent(&meta.file_name)
    );
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// RFC 5987 percent-encoding of a file name.
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
