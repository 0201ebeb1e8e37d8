//! Bookings: request (idempotent), read, list, cancel, approve, reject, history, availability.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::{created, keyed, ok};
use crate::app::AppState;
use crate::booking::alternatives::{Offer, alternatives};
use crate::booking::calendar::naive;
use crate::booking::create::{self, Failure, Request, VoucherPayment};
use crate::booking::{self as engine, decide};
use crate::db::DbConnection;
use crate::db::bookings::{self, BookingRow};
use crate::db::resources::{self, ResourceView};
use crate::domain::actor::Actor;
use crate::domain::availability::Span;
use crate::domain::ids::{BookingId, ResourceId};
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::bookings::{
    Alternative, Booking, CreateBooking, HistoryEntry, Interval, Reason, Slot,
};
use crate::http::dto::parse_instant;
use crate::http::extract::Json;
use crate::http::idempotency::{Key, Once, once};
use crate::http::page::{List, Page};
use crate::http::{read, write};

pub fn tz_of(view: &ResourceView) -> Tz {
    view.row.timezone.parse().unwrap_or(Tz::UTC)
}

pub fn parse_request(body: &CreateBooking) -> Result<Request, ServiceError> {
    let start = parse_instant("start", &body.start)?.and_utc();
    let end = parse_instant("end", &body.end)?.and_utc();
    // Wrong whatever the resource: refused before any occurrence is looked at.
    if end <= start {
        return Err(ServiceError::invalid_field("end", "must be after start"));
    }
    if body.quantity < 1 {
        return Err(ServiceError::invalid_field(
            "quantity",
            "must be at least 1",
        ));
    }
    let purpose = body.purpose.trim().to_owned();
    if !crate::domain::prose_fits(&body.purpose, 500) {
        return Err(ServiceError::invalid_field(
            "purpose",
            "say what the booking is for (1 to 500 characters)",
        ));
    }
    Ok(Request {
        resource: ResourceId(body.resource_id),
        span: Span::new(start, end),
        quantity: body.quantity,
        purpose,
        waitlist: body.waitlist,
        series: None,
        purpose_kind: body.purpose_kind,
        payment: voucher_payment(body)?,
        on_behalf: body.booker_id.map(crate::domain::ids::UserId),
    })
}

/// A voucher named on a booking must come with the co-payment of the quote the booker accepted.
fn voucher_payment(body: &CreateBooking) -> Result<Option<VoucherPayment>, ServiceError> {
    match (body.voucher_id, body.accepted_co_payment_fen) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ServiceError::invalid_field(
            "voucher_id",
            "accepted_co_payment_fen only means something with a voucher_id",
        )),
        (Some(_), None) => Err(ServiceError::invalid_field(
            "accepted_co_payment_fen",
            "required with voucher_id: the co_payment_fen of the quote you accepted \
             (GET /api/v1/resources/{id}/quote)",
        )),
        (Some(_), Some(c)) if c < 0 => Err(ServiceError::invalid_field(
            "accepted_co_payment_fen",
            "must be zero or more fen",
        )),
        (Some(voucher), Some(accepted_co_payment)) => Ok(Some(VoucherPayment {
            voucher,
            accepted_co_payment,
        })),
    }
}

enum Created {
    New(Value),
    Taken(Vec<Span>),
    Closed(ServiceError),
}

pub async fn create_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    body: Json<Value>,
) -> Result<HttpResponse, ServiceError> {
    let raw = body.into_inner();
    let dto: CreateBooking = serde_json::from_value(raw.clone()).map_err(|e| {
        ServiceError::new(
            ErrorCode::InvalidBody,
            format!("the body does not have the expected fields: {e}"),
        )
    })?;
    let request = parse_request(&dto)?;
    let key = Key::of(&req, &raw.to_string())?;
    let now = state.clock.now();
    let actor = user.clone();
    let r = request.clone();
    // The resource's view and hours are read before the write, so that the resource's lock (and
    // on SQLite the one writer) is held only for what must be read under it.
    let id = request.resource;
    let prepared = read(&state, move |conn| create::prepare(conn, id)).await?;
    let outcome = write(&state, move |conn| {
        let work = |conn: &mut DbConnection| match create::create_prepared(
            conn,
            &actor,
            (&r, prepared),
            now,
        ) {
            Ok(made) => Ok(Created::New(
                serde_json::to_value(Booking::new(made.row, made.tz))
                    .map_err(ServiceError::internal)?,
            )),
            Err(Failure::Conflict(spans)) => Ok(Created::Taken(spans)),
            Err(Failure::Closed(e)) => Ok(Created::Closed(e)),
            Err(Failure::Service(e)) => Err(e),
        };
        let keep = |c: &Created| match c {
            Created::New(body) => Some((StatusCode::CREATED, body.to_string())),
            Created::Taken(_) | Created::Closed(_) => None,
        };
        once(conn, actor.id, key.as_ref(), naive(now), work, keep)
    })
    .await?;
    match outcome {
        Once::Fresh(Created::New(body)) => Ok(created(&booking_at(&body), body)),
        Once::Replay(status, body) => {
            let mut answer = HttpResponse::build(status);
            if status == StatusCode::CREATED {
                answer.insert_header((actix_web::http::header::LOCATION, booking_at(&body)));
            }
            Ok(answer.json(body))
        }
        Once::Fresh(Created::Taken(spans)) => Err(conflict(&state, &request, spans).await?),
        Once::Fresh(Created::Closed(e)) => {
            Err(e.with_extra("alternatives", offers(&state, &request).await?))
        }
    }
}

/// Where a new booking is, from its JSON.
fn booking_at(body: &serde_json::Value) -> String {
    format!("/api/v1/bookings/{}", body["id"])
}

/// The 409 for a taken slot: the intervals in the way (never whose they are) and alternatives.
async fn conflict(
    state: &web::Data<AppState>,
    r: &Request,
    spans: Vec<Span>,
) -> Result<ServiceError, ServiceError> {
    let alts = offers(state, r).await?;
    let conflicts: Vec<Interval> = spans.into_iter().map(Interval::from).collect();
    Ok(ServiceError::new(
        ErrorCode::SlotUnavailable,
        "the resource is not free for that interval; see conflicts, and alternatives that are free",
    )
    .with_extra("conflicts", conflicts)
    .with_extra("alternatives", alts))
}

/// The free slots to offer instead of the one `r` asked for.
async fn offers(
    state: &web::Data<AppState>,
    r: &Request,
) -> Result<Vec<Alternative>, ServiceError> {
    let (resource, wanted, quantity, now) = (r.resource, r.span, r.quantity, state.clock.now());
    let found = read(state, move |conn| {
        alternatives(conn, resource, wanted, quantity, now)
    })
    .await?;
    Ok(found.iter().map(alternative).collect())
}

fn alternative(offer: &Offer) -> Alternative {
    let v = &offer.view;
    Alternative {
        resource_id: v.row.id,
        resource_name_en: v.row.name_en.clone(),
        resource_name_zh: v.row.name_zh.clone(),
        province: v.jurisdiction.province.clone(),
        slot: Slot::new(offer.span, offer.tz),
    }
}

pub async fn get_booking(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let v = read(&state, move |conn| {
        engine::visible(conn, &user, BookingId(id))
    })
    .await?;
    Ok(ok(Booking::new(v.booking, tz_of(&v.resource))))
}

pub async fn get_booking_history(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let rows = read(&state, move |conn| {
        engine::visible(conn, &user, BookingId(id))?;
        Ok(crate::db::booking_events::events(conn, id)?)
    })
    .await?;
    let items: Vec<HistoryEntry> = rows.into_iter().map(HistoryEntry::from).collect();
    Ok(ok(List {
        items,
        next_cursor: None,
    }))
}

/// Runs a decision in one transaction, once per `Idempotency-Key`, and answers with the booking as
/// it now stands.
pub async fn decision_response<F>(
    state: web::Data<AppState>,
    user: &Actor,
    key: Option<Key>,
    f: F,
) -> Result<HttpResponse, ServiceError>
where
    F: FnOnce(&mut DbConnection) -> Result<BookingRow, Failure> + Send + 'static,
{
    keyed(state, (user.id, key), (StatusCode::OK, None), move |conn| {
        let row = f(conn).map_err(Failure::into_error)?;
        let view = resources::find(conn, ResourceId(row.resource_id))?
            .ok_or_else(|| ServiceError::internal("resource vanished"))?;
        serde_json::to_value(Booking::new(row, tz_of(&view))).map_err(ServiceError::internal)
    })
    .await
}

pub async fn approve_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let (id, key) = (path.into_inner(), Key::of(&req, "")?);
    decision_response(state, &user.clone(), key, move |conn| {
        decide::approve(conn, &user, BookingId(id), clock.now())
    })
    .await
}

pub async fn reject_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<Reason>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let (id, reason) = (path.into_inner(), body.into_inner().text()?);
    let key = Key::of(&req, &reason)?;
    decision_response(state, &user.clone(), key, move |conn| {
        decide::reject(conn, &user, BookingId(id), &reason, clock.now())
    })
    .await
}

pub async fn cancel_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<Reason>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let (id, reason) = (path.into_inner(), body.into_inner().text()?);
    let key = Key::of(&req, &reason)?;
    decision_response(state, &user.clone(), key, move |conn| {
        decide::cancel(conn, &user, BookingId(id), &reason, clock.now())
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingQuery {
    resource_id: Option<i64>,
    state: Option<crate::domain::types::BookingState>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Bookers see their own bookings; operators those of the resources they run; managers their
/// institution's; admins all.
pub async fn list_bookings(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<BookingQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let filter = bookings::BookingFilter {
        resource: q.resource_id,
        state: q.state,
        from: q
            .from
            .as_deref()
            .map(|f| parse_instant("from", f))
            .transpose()?,
        to: q
            .to
            .as_deref()
            .map(|t| parse_instant("to", t))
            .transpose()?,
    };
    let (rows, zones) = read(&state, move |conn| {
        let rows = bookings::list(conn, user.reach(), &filter, (after, fetch))?;
        let zones = resources::timezones(conn, rows.iter().map(|r| r.resource_id).collect())?;
        Ok((rows, zones))
    })
    .await?;
    let tz = |id: i64| {
        zones
            .get(&id)
            .and_then(|z| z.parse().ok())
            .unwrap_or(Tz::UTC)
    };
    Ok(ok(page.finish(
        rows,
        |b| b.id.to_string(),
        |b| {
            let zone = tz(b.resource_id);
            Booking::new(b, zone)
        },
    )))
}

/// The booking as a calendar entry, for the booker's calendar application.
pub async fn get_booking_ics(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let v = read(&state, move |conn| {
        engine::visible(conn, &user, BookingId(id))
    })
    .await?;
    let (b, ics) = (
        &v.booking,
        engine::ics::booking_ics(&v.booking, &v.resource),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"booking-{}.ics\"", b.id),
        ))
        .body(ics))
}
