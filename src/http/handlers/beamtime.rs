//! Beamtime calls: opening and reading them, proposals (submitted, edited, assigned their
//! reviewers), reviews, and the allocation of a call's shifts.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{created, if_match, ok};
use crate::app::AppState;
use crate::beamtime::{
    self as service, allocate, call_shown, calls, proposals, reviews, seen, shown,
};
use crate::db::beamtime as store;
use crate::domain::actor::Actor;
use crate::error::ServiceError;
use crate::http::dto::beamtime::{Call, CallSummary, Items, Proposal, Review, Shift};
use crate::http::extract::Json;
use crate::http::page::Page;
use crate::http::{read, write};

fn call_body(c: service::CallShown, now: chrono::DateTime<chrono::Utc>) -> Call {
    let staff = c.reviewers.is_some();
    Call {
        call: CallSummary::of(c.call, now),
        shifts: c.shifts.into_iter().map(|s| Shift::of(s, staff)).collect(),
        reviewer_ids: c.reviewers,
    }
}

/// A proposal with its version as the ETag an edit names in If-Match.
fn tagged(mut resp: HttpResponse, p: Proposal) -> HttpResponse {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", p.version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    let body = serde_json::to_vec(&p).unwrap_or_default();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.set_body(actix_web::body::BoxBody::new(body))
}

pub async fn create_beam_call(
    state: web::Data<AppState>,
    user: Actor,
    body: Json<calls::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let (d, now) = (body.into_inner(), state.clock.now());
    let made = write(&state, move |conn| {
        let row = calls::open(conn, &user, d, now.naive_utc())?;
        call_shown(conn, &user, row.id)
    })
    .await?;
    let at = format!("/api/v1/beam-calls/{}", made.call.id);
    Ok(created(&at, call_body(made, now)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    institution_id: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_beam_calls(
    state: web::Data<AppState>,
    _user: Actor,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (before, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        Ok(store::list_calls(conn, q.institution_id, (before, fetch))?)
    })
    .await?;
    let now = state.clock.now();
    Ok(ok(page.finish(
        rows,
        |c| c.id.to_string(),
        |c| CallSummary::of(c, now),
    )))
}

pub async fn get_beam_call(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let c = read(&state, move |conn| call_shown(conn, &user, id)).await?;
    Ok(ok(call_body(c, state.clock.now())))
}

pub async fn list_beam_proposals(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let items = read(&state, move |conn| {
        let call = service::find_call(conn, id)?;
        service::visible_proposals(conn, &user, &call)
    })
    .await?;
    Ok(ok(Items {
        items: items.into_iter().map(Proposal::from).collect::<Vec<_>>(),
    }))
}

pub async fn submit_beam_proposal(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    body: Json<proposals::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let (call, d, now) = (path.into_inner(), body.into_inner(), state.clock.now());
    let p = write(&state, move |conn| {
        let row = proposals::submit(conn, &user, call, d, now)?;
        let s = seen(conn, &user, row.id)?;
        shown(conn, s)
    })
    .await?;
    let at = format!("/api/v1/beam-proposals/{}", p.proposal.id);
    let made = HttpResponse::Created()
        .insert_header((header::LOCATION, at))
        .finish();
    Ok(tagged(made, Proposal::from(p)))
}

pub async fn get_beam_proposal(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let p = read(&state, move |conn| {
        let s = seen(conn, &user, id)?;
        shown(conn, s)
    })
    .await?;
    Ok(tagged(HttpResponse::Ok().finish(), Proposal::from(p)))
}

pub async fn update_beam_proposal(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<proposals::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let expected = if_match(&req, "GET /api/v1/beam-proposals/{id}")?;
    let (d, now) = (body.into_inner(), state.clock.now());
    let p = write(&state, move |conn| {
        proposals::edit(conn, &user, (id, expected), d, now)?;
        let s = seen(conn, &user, id)?;
        shown(conn, s)
    })
    .await?;
    Ok(tagged(HttpResponse::Ok().finish(), Proposal::from(p)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reviewers {
    reviewer_ids: Vec<i64>,
}

pub async fn put_beam_proposal_reviewers(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    body: Json<Reviewers>,
) -> Result<HttpResponse, ServiceError> {
    let (id, r, now) = (path.into_inner(), body.into_inner(), state.clock.now());
    let p = write(&state, move |conn| {
        proposals::assign(conn, &user, id, &r.reviewer_ids, now)?;
        let s = seen(conn, &user, id)?;
        shown(conn, s)
    })
    .await?;
    Ok(ok(Proposal::from(p)))
}

pub async fn put_beam_review(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    body: Json<reviews::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let (id, d, now) = (path.into_inner(), body.into_inner(), state.clock.now());
    let row = write(&state, move |conn| reviews::review(conn, &user, id, d, now)).await?;
    Ok(ok(Review::from(row)))
}

pub async fn list_beam_reviews(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let rows = read(&state, move |conn| reviews::reviews_of(conn, &user, id)).await?;
    Ok(ok(Items {
        items: rows.into_iter().map(Review::from).collect::<Vec<_>>(),
    }))
}

pub async fn allocate_beam_call(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    body: Json<allocate::Draft>,
) -> Result<HttpResponse, ServiceError> {
    let (id, d, now) = (path.into_inner(), body.into_inner(), state.clock.now());
    let decided = write(&state, move |conn| {
        allocate::allocate(conn, &user, id, d, now)
    })
    .await?;
    Ok(ok(Items {
        items: decided.into_iter().map(Proposal::from).collect::<Vec<_>>(),
    }))
}
