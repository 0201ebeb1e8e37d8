//! A quote for a slot, with what each of the organisation's vouchers would cover, and the form
//! that books it at the co-payment shown.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::super::chrome::{Chrome, span, yuan};
use super::super::lines::name;
use super::super::session::Posted;
use super::super::{Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::booking::{create, payment};
use crate::db::{resources, vouchers as store};
use crate::domain::ids::{ResourceId, VoucherId};
use crate::domain::money::PurposeKind;
use crate::error::ServiceError;
use crate::http::idempotency::{Key, Once, once};

#[derive(Deserialize, Clone, Default)]
pub struct QuoteQuery {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default = "one")]
    quantity: i64,
}

fn one() -> i64 {
    1
}

/// One way to pay: without a voucher (`voucher` none), or with one of the organisation's.
pub struct Option_ {
    pub value: String,
    pub voucher: Option<i64>,
    pub program: String,
    pub share: String,
    pub co_payment: String,
    pub available: String,
    /// Why this voucher cannot pay here, when it cannot.
    pub refused: String,
}

#[derive(Template)]
#[template(path = "quote.html", config = "src/console/askama.toml")]
struct QuotePage {
    c: Chrome,
    resource_id: i64,
    resource: String,
    when: String,
    q: QuoteQuery,
    gross: String,
    options: Vec<Option_>,
    key: String,
    purpose: String,
    chosen: String,
    slip: Slip,
}

struct Quoted {
    resource: String,
    when: String,
    gross: String,
    options: Vec<Option_>,
}

/// The quote for `q` on resource `id`, for the viewer's organisation: the same price and shares
/// as `GET /api/v1/resources/{id}/quote`.
async fn quoted(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i64,
    q: &QuoteQuery,
) -> Result<Quoted, ServiceError> {
    let start = crate::http::dto::parse_instant("start", &q.start)?.and_utc();
    let end = crate::http::dto::parse_instant("end", &q.end)?.and_utc();
    if end <= start {
        return Err(ServiceError::invalid_field("end", "must be after start"));
    }
    let slot = crate::domain::availability::Span::new(start, end);
    let (actor, locale, now, quantity) = (
        viewer.actor.clone(),
        viewer.locale,
        state.clock.now(),
        q.quantity,
    );
    crate::http::read(state, move |conn| {
        let view = resources::find(conn, ResourceId(id))?
            .ok_or_else(|| ServiceError::not_found("resource"))?;
        let org = actor.org.ok_or_else(|| {
            ServiceError::forbidden("quotes are for an organisation's bookers; admins have none")
        })?;
        create::check_quoted(conn, &view, (slot, quantity), now)?;
        let minutes = (end - start).num_minutes();
        let purpose = PurposeKind::Research;
        let plain = payment::quote(conn, org, &view, (quantity, minutes), None, purpose, now)?;
        let mut options = vec![Option_ {
            value: "none".into(),
            voucher: None,
            program: String::new(),
            share: yuan(0),
            co_payment: yuan(plain.co_payment_fen),
            available: String::new(),
            refused: String::new(),
        }];
        let reach = crate::vouchers::listed_for(&actor)?;
        for v in store::list_vouchers(conn, reach, None, 50)? {
            let Some(loaded) = crate::vouchers::load(conn, VoucherId(v.id), now.naive_utc())?
            else {
                continue;
            };
            let program = name(locale, &loaded.program.name_en, &loaded.program.name_zh);
            let available = yuan(loaded.balance.available);
            options.push(
                match payment::quote(
                    conn,
                    org,
                    &view,
                    (quantity, minutes),
                    Some(v.id),
                    purpose,
                    now,
                ) {
                    Ok(with) => Option_ {
                        value: format!("{}:{}", v.id, with.co_payment_fen),
                        voucher: Some(v.id),
                        program,
                        share: yuan(with.voucher_share()),
                        co_payment: yuan(with.co_payment_fen),
                        available,
                        refused: String::new(),
                    },
                    Err(e) if e.code.status() < 500 => Option_ {
                        value: String::new(),
                        voucher: Some(v.id),
                        program,
                        share: yuan(0),
                        co_payment: yuan(plain.co_payment_fen),
                        available,
                        refused: super::super::chrome::message(locale, &e.detail),
                    },
                    Err(e) => return Err(e),
                },
            );
        }
        let tz = crate::http::handlers::bookings::tz_of(&view);
        Ok(Quoted {
            resource: name(locale, &view.row.name_en, &view.row.name_zh),
            when: span(start.naive_utc(), end.naive_utc(), tz),
            gross: yuan(plain.price.gross_fen),
            options,
        })
    })
    .await
}

async fn show_quote(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    (id, q): (i64, QuoteQuery),
    (purpose, chosen): (String, String),
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let found = quoted(state, viewer, id, &q).await?;
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        QuotePage {
            c: viewer.chrome(None),
            resource_id: id,
            resource: found.resource,
            when: found.when,
            q,
            gross: found.gross,
            options: found.options,
            key: crate::auth::new_token("").0,
            purpose,
            chosen,
            slip,
        },
    )
}

pub async fn quote(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    q: web::Query<QuoteQuery>,
) -> Result<HttpResponse, Shown> {
    let at = (path.into_inner(), q.into_inner());
    let form = (String::new(), "none".to_owned());
    show_quote(&state, &viewer, at, form, (Slip::default(), None)).await
}

#[derive(Deserialize)]
pub struct BookForm {
    pub resource_id: i64,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    #[serde(default = "one")]
    pub quantity: i64,
    #[serde(default)]
    pub purpose: String,
    /// `none`, or `VOUCHER:CO_PAYMENT_FEN` as the quote showed it.
    #[serde(default)]
    pub pay: String,
    #[serde(default)]
    pub key: String,
}

/// The voucher and accepted co-payment of a form's choice.
pub fn paid_with(pay: &str) -> Result<(Option<i64>, Option<i64>), ServiceError> {
    if pay.is_empty() || pay == "none" {
        return Ok((None, None));
    }
    let bad = || ServiceError::invalid_field("pay", "choose how to pay from the quote");
    let (v, c) = pay.split_once(':').ok_or_else(bad)?;
    Ok((
        Some(v.parse().map_err(|_| bad())?),
        Some(c.parse().map_err(|_| bad())?),
    ))
}

pub async fn book(
    state: web::Data<AppState>,
    posted: Posted<BookForm>,
) -> Result<HttpResponse, Shown> {
    let (viewer, f) = (posted.viewer, posted.form);
    let result = match super::request_of(&f) {
        Ok(request) => made(&state, &viewer, request, &f).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(done(&format!("/console/bookings/{id}"), "booked", id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(f.resource_id, &e, viewer.locale);
            let q = QuoteQuery {
                start: f.start,
                end: f.end,
                quantity: f.quantity,
            };
            show_quote(
                &state,
                &viewer,
                (f.resource_id, q),
                (f.purpose, f.pay),
                (slip, Some(e)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Books as `POST /api/v1/bookings` does, once per form: a second submission of the same form
/// finds the booking the first one made.
async fn made(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    request: create::Request,
    f: &BookForm,
) -> Result<i64, ServiceError> {
    let key = (!f.key.is_empty()).then(|| {
        Key::named(
            &f.key,
            &format!(
                "console booking {} {} {} {} {}",
                f.resource_id, f.start, f.end, f.quantity, f.pay
            ),
        )
    });
    let (actor, now) = (viewer.actor.clone(), state.clock.now());
    let id = request.resource;
    let prepared = crate::http::read(state, move |conn| create::prepare(conn, id)).await?;
    let outcome = crate::http::write(state, move |conn| {
        let work = |conn: &mut crate::db::DbConnection| {
            create::create_prepared(conn, &actor, (&request, prepared), now)
                .map(|made| made.row.id)
                .map_err(|f| f.into_error())
        };
        let keep = |id: &i64| {
            Some((
                StatusCode::CREATED,
                serde_json::json!({ "id": id }).to_string(),
            ))
        };
        once(
            conn,
            actor.id,
            key.as_ref(),
            crate::booking::calendar::naive(now),
            work,
            keep,
        )
    })
    .await?;
    match outcome {
        Once::Fresh(id) => Ok(id),
        Once::Replay(_, body) => body["id"]
            .as_i64()
            .ok_or_else(|| ServiceError::internal("replayed booking without id")),
    }
}
