//! Calendar subscriptions from the console: the user's feed of their bookings, made here and
//! shown once (only its digest is kept), and revoked here.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::chrome::{Chrome, local};
use super::session::Posted;
use super::{Done, Shown, Viewer, done, page};
use crate::app::AppState;
use crate::feeds::Kind;

pub struct Feed {
    pub id: i64,
    pub kind: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "feeds.html", config = "src/console/askama.toml")]
struct FeedsPage {
    c: Chrome,
    feeds: Vec<Feed>,
    /// The address of a feed just made: shown this once.
    made: Option<String>,
}

async fn show(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    notice: Option<String>,
    made: Option<String>,
) -> Result<HttpResponse, Shown> {
    let actor = viewer.actor.clone();
    let rows = crate::http::read(state, move |conn| {
        crate::feeds::list(conn, &actor, (None, 100))
    })
    .await?;
    let feeds = rows
        .into_iter()
        .map(|f| Feed {
            id: f.id,
            kind: f.kind,
            since: local(f.created_at, chrono_tz::Asia::Shanghai),
        })
        .collect();
    page(
        StatusCode::OK,
        FeedsPage {
            c: viewer.chrome(notice),
            feeds,
            made,
        },
    )
}

pub async fn feeds(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = q.notice(viewer.locale);
    show(&state, &viewer, notice, None).await
}

#[derive(Deserialize)]
pub struct Nothing {}

/// Makes a feed of the user's bookings and shows its address, once.
pub async fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: Posted<Nothing>,
) -> Result<HttpResponse, Shown> {
    let viewer = posted.viewer;
    let (actor, now) = (viewer.actor.clone(), state.clock.naive());
    let (_, token) = crate::http::write(&state, move |conn| {
        crate::feeds::create(conn, &actor, (Kind::User, None), now)
    })
    .await?;
    let url = {
        let info = req.connection_info();
        format!("{}://{}/feeds/{token}.ics", info.scheme(), info.host())
    };
    show(&state, &viewer, None, Some(url)).await
}

pub async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<Nothing>,
) -> Result<HttpResponse, Shown> {
    let (id, actor, now) = (
        path.into_inner(),
        posted.viewer.actor.clone(),
        state.clock.naive(),
    );
    crate::http::write(&state, move |conn| {
        crate::feeds::revoke(conn, &actor, id, now)
    })
    .await?;
    Ok(done("/console/feeds", "feed-revoked", id))
}
