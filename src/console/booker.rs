//! The booker's pages: a regional search for free time, a quote with the voucher share of each
//! of the organisation's vouchers, booking (once per form, as an `Idempotency-Key` does), and
//! the bookings with their history and cancellation.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::chrome::{Chrome, span};
use super::lines::{Line, lines, name};
use super::session::Posted;
use super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::booking::{self as engine, create, decide, search};
use crate::db::bookings::{self, BookingFilter};
use crate::domain::availability::Span;
use crate::domain::ids::BookingId;
use crate::error::ServiceError;
use crate::http::dto::bookings::{CreateBooking, Reason};

mod quote;
pub use quote::{book, quote};

/// The region's clock: the day a search covers starts at midnight in China Standard Time.
const REGION_OFFSET: &str = "+08:00";

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    spec: String,
    #[serde(default)]
    province: String,
    date: Option<String>,
    #[serde(default)]
    hours: String,
}

pub struct Found {
    pub id: i64,
    pub name: String,
    pub institution: String,
    pub province: String,
    pub slots: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "search.html", config = "src/console/askama.toml")]
struct SearchPage {
    c: Chrome,
    f: SearchForm,
    date: String,
    hours: String,
    found: Option<Vec<Found>>,
    slip: Slip,
}

/// The window and length a search form asks for, or the field that is wrong.
fn wanted(f: &SearchForm, date: &str) -> Result<(String, i64), ServiceError> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid_field("date", "give a day as YYYY-MM-DD"))?;
    let hours: f64 = f.hours.trim().parse().unwrap_or(0.0);
    if !(0.25..=168.0).contains(&hours) {
        return Err(ServiceError::invalid_field(
            "hours",
            "give a length from 0.25 to 168 hours",
        ));
    }
    let next = day + Duration::days(1);
    let query = serde_urlencoded::to_string([
        ("q", f.q.trim()),
        ("spec", f.spec.trim()),
        ("province", f.province.trim()),
        ("from", &format!("{day}T00:00:00{REGION_OFFSET}")),
        ("to", &format!("{next}T00:00:00{REGION_OFFSET}")),
    ])
    .map_err(ServiceError::internal)?;
    let query = query
        .split('&')
        .filter(|p| !p.ends_with('='))
        .collect::<Vec<_>>()
        .join("&");
    Ok((query, (hours * 60.0).round() as i64))
}

async fn run_search(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    f: &SearchForm,
    date: &str,
) -> Result<Vec<Found>, ServiceError> {
    use crate::http::handlers::resources::{CatalogueQuery, parse_filter};
    let (query, minutes) = wanted(f, date)?;
    let CatalogueQuery { filter, extra, .. } = parse_filter(&query, &["from", "to"])?;
    let window = crate::domain::booking::search_window(
        crate::http::dto::parse_instant("from", &extra["from"])?.and_utc(),
        crate::http::dto::parse_instant("to", &extra["to"])?.and_utc(),
    )?;
    let wanted = search::Wanted {
        minutes,
        quantity: 1,
        per_resource: 3,
    };
    let (now, locale) = (state.clock.now(), viewer.locale);
    let found = crate::http::read_routed(state, viewer.actor.id, move |conn| {
        search::search(conn, filter.clone(), window, wanted, now)
    })
    .await?;
    Ok(found
        .into_iter()
        .take(50)
        .map(|c| {
            let v = &c.loaded.view;
            Found {
                id: v.row.id,
                name: name(locale, &v.row.name_en, &v.row.name_zh),
                institution: name(locale, &v.institution_en, &v.institution_zh),
                province: v.jurisdiction.province.clone(),
                slots: c
                    .slots
                    .iter()
                    .map(|s| {
                        (
                            slot_query(*s),
                            span(s.start.naive_utc(), s.end.naive_utc(), c.loaded.tz),
                        )
                    })
                    .collect(),
            }
        })
        .collect())
}

/// The quote page's query for a slot.
fn slot_query(s: Span) -> String {
    serde_urlencoded::to_string([("start", s.start.to_rfc3339()), ("end", s.end.to_rfc3339())])
        .unwrap_or_default()
}

pub async fn search(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Query<SearchForm>,
) -> Result<HttpResponse, Shown> {
    let f = form.into_inner();
    let tomorrow = (state.clock.now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let date = f.date.clone().unwrap_or(tomorrow);
    let hours = if f.hours.is_empty() {
        "2".to_owned()
    } else {
        f.hours.clone()
    };
    let (found, slip, status) = match &f.date {
        None => (None, Slip::default(), StatusCode::OK),
        Some(_) => match run_search(&state, &viewer, &f, &date).await {
            Ok(found) => (Some(found), Slip::default(), StatusCode::OK),
            Err(e) if e.code.status() < 500 => {
                let slip = Slip::of(0, &e, viewer.locale);
                let status = status_of(&slip, &e);
                (None, slip, status)
            }
            Err(e) => return Err(e.into()),
        },
    };
    let c = viewer.chrome(None);
    page(
        status,
        SearchPage {
            c,
            f,
            date,
            hours,
            found,
            slip,
        },
    )
}

#[derive(Template)]
#[template(path = "bookings.html", config = "src/console/askama.toml")]
struct BookingsPage {
    c: Chrome,
    lines: Vec<Line>,
}

/// The bookings the user sees (their own; a resource's staff, those of the resources they
/// run), newest first.
pub async fn bookings(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let (actor, locale) = (viewer.actor.clone(), viewer.locale);
    let lines = crate::http::read(&state, move |conn| {
        let newest = bookings::newest_first(conn, actor.reach(), &BookingFilter::default(), 200)?;
        lines(conn, &newest, locale)
    })
    .await?;
    let c = viewer.chrome(q.notice(viewer.locale));
    page(StatusCode::OK, BookingsPage { c, lines })
}

pub struct Step {
    pub at: String,
    pub event: String,
    pub to: &'static str,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "booking.html", config = "src/console/askama.toml")]
struct BookingPage {
    c: Chrome,
    b: Line,
    history: Vec<Step>,
    may_cancel: bool,
    slip: Slip,
}

async fn show_booking(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i64,
    notice: Option<String>,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let (actor, locale) = (viewer.actor.clone(), viewer.locale);
    let (b, history) = crate::http::read(state, move |conn| {
        let v = engine::visible(conn, &actor, BookingId(id))?;
        let tz = crate::http::handlers::bookings::tz_of(&v.resource);
        let events = crate::db::booking_events::events(conn, id)?;
        let line = lines(conn, std::slice::from_ref(&v.booking), locale)?.remove(0);
        let steps = events
            .into_iter()
            .map(|e| Step {
                at: super::chrome::local(e.at, tz),
                to: super::chrome::label(locale, state_name(&e.to_state)),
                reason: e
                    .reason
                    .map(|r| super::chrome::message(locale, &r))
                    .unwrap_or_default(),
                event: e.event,
            })
            .collect();
        Ok((line, steps))
    })
    .await?;
    let may_cancel = ["pending", "confirmed", "waitlisted"]
        .iter()
        .any(|s| b.is(s));
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    let c = viewer.chrome(notice);
    page(
        status,
        BookingPage {
            c,
            b,
            history,
            may_cancel,
            slip,
        },
    )
}

/// A stored state's name as the label table knows it.
fn state_name(stored: &str) -> &'static str {
    crate::domain::types::BookingState::parse(stored).map_or("", |s| s.as_str())
}

pub async fn booking(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = q.notice(viewer.locale);
    show_booking(
        &state,
        &viewer,
        path.into_inner(),
        notice,
        (Slip::default(), None),
    )
    .await
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

pub async fn cancel(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<CancelForm>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer) = (path.into_inner(), posted.viewer);
    let (actor, now) = (viewer.actor.clone(), state.clock.now());
    let result = match (Reason {
        reason: posted.form.reason,
    })
    .text()
    {
        Ok(reason) => {
            crate::http::write(&state, move |conn| {
                decide::cancel(conn, &actor, BookingId(id), &reason, now)
                    .map_err(|f| f.into_error())
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/console/bookings/{id}"), "cancelled", id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            show_booking(&state, &viewer, id, None, (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The request a booking form makes, as the API reads one.
fn request_of(f: &quote::BookForm) -> Result<create::Request, ServiceError> {
    let (voucher_id, accepted_co_payment_fen) = quote::paid_with(&f.pay)?;
    crate::http::handlers::bookings::parse_request(&CreateBooking {
        resource_id: f.resource_id,
        start: f.start.clone(),
        end: f.end.clone(),
        quantity: f.quantity.max(1),
        purpose: f.purpose.clone(),
        waitlist: false,
        purpose_kind: crate::domain::money::PurposeKind::Research,
        voucher_id,
        accepted_co_payment_fen,
        booker_id: None,
    })
}
