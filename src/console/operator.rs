//! The operator's pages: the approval queue (each request with its competitors, price and
//! voucher share), the sessions of today and tomorrow with check-in and check-out.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

use super::chrome::Chrome;
use super::lines::{Labels, Line, labels_of};
use super::session::Posted;
use super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::booking::{decide, queue, usage};
use crate::db::bookings::{self, BookingFilter};
use crate::domain::ids::BookingId;
use crate::domain::types::BookingState;
use crate::error::ServiceError;
use crate::http::dto::bookings::Reason;

/// How many requests a page of the queue shows.
const QUEUE_PAGE: i64 = 100;

pub struct Entry {
    pub line: Line,
    pub competitors: Vec<Line>,
}

#[derive(Template)]
#[template(path = "queue.html", config = "src/console/askama.toml")]
struct QueuePage {
    c: Chrome,
    entries: Vec<Entry>,
    slip: Slip,
}

async fn show_queue(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    notice: Option<String>,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let (actor, locale) = (viewer.actor.clone(), viewer.locale);
    let entries = crate::http::read(state, move |conn| {
        let q = queue::pending(conn, &actor, None, (None, QUEUE_PAGE))?;
        let all: Vec<_> = q
            .entries
            .iter()
            .flat_map(|(b, r)| std::iter::once(b).chain(r))
            .collect();
        let labels: Labels = labels_of(conn, &all)?;
        Ok(q.entries
            .iter()
            .map(|(b, rivals)| Entry {
                line: Line::new(b, &labels, locale),
                competitors: rivals
                    .iter()
                    .map(|r| Line::new(r, &labels, locale))
                    .collect(),
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    let c = viewer.chrome(notice);
    page(status, QueuePage { c, entries, slip })
}

pub async fn queue(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = q.notice(viewer.locale);
    show_queue(&state, &viewer, notice, (Slip::default(), None)).await
}

/// Shows the queue again with the refusal beside the request's form.
async fn refused(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i64,
    err: ServiceError,
) -> Result<HttpResponse, Shown> {
    if err.code.status() >= 500 {
        return Err(err.into());
    }
    let slip = Slip::of(id, &err, viewer.locale);
    show_queue(state, viewer, None, (slip, Some(err))).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn approve(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<Empty>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer) = (path.into_inner(), posted.viewer);
    let (actor, now) = (viewer.actor.clone(), state.clock.now());
    let result = crate::http::write(&state, move |conn| {
        decide::approve(conn, &actor, BookingId(id), now).map_err(|f| f.into_error())
    })
    .await;
    match result {
        Ok(_) => Ok(done("/console/queue", "approved", id)),
        Err(e) => refused(&state, &viewer, id, e).await,
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn reject(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<ReasonForm>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer) = (path.into_inner(), posted.viewer);
    let (actor, now) = (viewer.actor.clone(), state.clock.now());
    let reason = Reason {
        reason: posted.form.reason,
    };
    let result = match reason.text() {
        Ok(reason) => {
            crate::http::write(&state, move |conn| {
                decide::reject(conn, &actor, BookingId(id), &reason, now)
                    .map_err(|f| f.into_error())
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done("/console/queue", "rejected", id)),
        Err(e) => refused(&state, &viewer, id, e).await,
    }
}

#[derive(Template)]
#[template(path = "sessions.html", config = "src/console/askama.toml")]
struct SessionsPage {
    c: Chrome,
    lines: Vec<Line>,
    slip: Slip,
}

/// Confirmed bookings of the resources the user runs that are under way or start before the
/// end of tomorrow, and those still checked in.
async fn show_sessions(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    notice: Option<String>,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let (actor, locale, now) = (viewer.actor.clone(), viewer.locale, state.clock.naive());
    let lines = crate::http::read(state, move |conn| {
        let filter = BookingFilter {
            state: Some(BookingState::Confirmed),
            from: Some(now - Duration::hours(12)),
            to: Some(now + Duration::hours(48)),
            ..Default::default()
        };
        let mut rows = bookings::list(conn, actor.reach(), &filter, (None, 500))?;
        rows.sort_by_key(|r| r.start_at);
        super::lines::lines(conn, &rows, locale)
    })
    .await?;
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        SessionsPage {
            c: viewer.chrome(notice),
            lines,
            slip,
        },
    )
}

pub async fn sessions(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    use crate::domain::types::Role;
    (viewer.actor.require(&[Role::Manager, Role::Operator])).map_err(ServiceError::from)?;
    let notice = q.notice(viewer.locale);
    show_sessions(&state, &viewer, notice, (Slip::default(), None)).await
}

async fn record_use(
    state: web::Data<AppState>,
    id: i64,
    viewer: Viewer,
    arriving: bool,
) -> Result<HttpResponse, Shown> {
    let (actor, now) = (viewer.actor.clone(), state.clock.now());
    let result = crate::http::write(&state, move |conn| {
        let id = BookingId(id);
        let done = if arriving {
            usage::check_in(conn, &actor, id, now, None)
        } else {
            usage::check_out(conn, &actor, id, now, None)
        };
        done.map_err(|f| f.into_error())
    })
    .await;
    match result {
        Ok(_) => Ok(done(
            "/console/sessions",
            if arriving {
                "checked-in"
            } else {
                "checked-out"
            },
            id,
        )),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            show_sessions(&state, &viewer, None, (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn check_in(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<Empty>,
) -> Result<HttpResponse, Shown> {
    record_use(state, path.into_inner(), posted.viewer, true).await
}

pub async fn check_out(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<Empty>,
) -> Result<HttpResponse, Shown> {
    record_use(state, path.into_inner(), posted.viewer, false).await
}
