//! Vouchers: a booker sees their organisation's with balances and ledgers; an issuer sees those
//! of their programmes and suspends, reinstates or revokes them, each audited as through the API.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::chrome::{Chrome, label, local, yuan};
use super::lines::name;
use super::session::Posted;
use super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::db::vouchers as store;
use crate::domain::ids::VoucherId;
use crate::domain::types::{Locale, Role, VoucherStatus};
use crate::error::ServiceError;
use crate::vouchers::{self, Loaded};

pub struct Card {
    pub id: i64,
    pub program: String,
    pub enterprise_id: i64,
    pub status: VoucherStatus,
    pub status_label: &'static str,
    pub expires: String,
    pub granted: String,
    pub held: String,
    pub captured: String,
    pub available: String,
}

impl Card {
    fn new(v: &Loaded, locale: Locale) -> Card {
        let b = &v.balance;
        Card {
            id: v.voucher.id,
            program: name(locale, &v.program.name_en, &v.program.name_zh),
            enterprise_id: v.voucher.enterprise_id,
            status: v.voucher.status,
            status_label: label(locale, v.voucher.status.as_str()),
            expires: local(v.voucher.expires_at, chrono_tz::Asia::Shanghai),
            granted: yuan(b.granted),
            held: yuan(b.held),
            captured: yuan(b.captured),
            available: yuan(b.available),
        }
    }
}

#[derive(Template)]
#[template(path = "vouchers.html", config = "src/console/askama.toml")]
struct VouchersPage {
    c: Chrome,
    cards: Vec<Card>,
    issuer: bool,
    slip: Slip,
}

async fn show_vouchers(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    notice: Option<String>,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let (actor, locale, now) = (viewer.actor.clone(), viewer.locale, state.clock.naive());
    let reach = vouchers::listed_for(&actor)?;
    let cards = crate::http::read(state, move |conn| {
        let mut cards = Vec::new();
        for r in store::list_vouchers(conn, reach, None, 200)? {
            if let Some(v) = vouchers::load(conn, VoucherId(r.id), now)? {
                cards.push(Card::new(&v, locale));
            }
        }
        Ok(cards)
    })
    .await?;
    let issuer = matches!(viewer.actor.role, Role::Issuer | Role::Admin);
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        VouchersPage {
            c: viewer.chrome(notice),
            cards,
            issuer,
            slip,
        },
    )
}

pub async fn vouchers(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = q.notice(viewer.locale);
    show_vouchers(&state, &viewer, notice, (Slip::default(), None)).await
}

pub struct Movement {
    pub at: String,
    pub movement: &'static str,
    pub amount: String,
    pub booking_id: Option<i64>,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "voucher.html", config = "src/console/askama.toml")]
struct VoucherPage {
    c: Chrome,
    v: Card,
    ledger: Vec<Movement>,
}

pub async fn voucher(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
) -> Result<HttpResponse, Shown> {
    let (actor, locale, now, id) = (
        viewer.actor.clone(),
        viewer.locale,
        state.clock.naive(),
        path.into_inner(),
    );
    let (v, ledger) = crate::http::read(&state, move |conn| {
        let v = vouchers::visible(conn, &actor, VoucherId(id), now)?;
        let rows = store::ledger_rows(conn, id)?;
        let ledger = rows
            .into_iter()
            .map(|r| Movement {
                at: local(r.at, chrono_tz::Asia::Shanghai),
                movement: label(locale, r.movement.as_str()),
                amount: yuan(r.amount_fen),
                booking_id: r.booking_id,
                reason: r.reason.unwrap_or_default(),
            })
            .collect();
        Ok((Card::new(&v, locale), ledger))
    })
    .await?;
    page(
        StatusCode::OK,
        VoucherPage {
            c: viewer.chrome(None),
            v,
            ledger,
        },
    )
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    reason: String,
}

async fn set_status(
    state: web::Data<AppState>,
    id: i64,
    posted: Posted<StatusForm>,
    (to, key): (VoucherStatus, &'static str),
) -> Result<HttpResponse, Shown> {
    let viewer = posted.viewer;
    let reason = posted.form.reason.trim().to_owned();
    let (actor, now) = (viewer.actor.clone(), state.clock.naive());
    let result = if !reason.is_empty() && !crate::domain::prose_fits(&reason, 500) {
        Err(ServiceError::invalid_field(
            "reason",
            "must be 1 to 500 characters",
        ))
    } else {
        crate::http::write(&state, move |conn| {
            let why = (!reason.is_empty()).then_some(reason.as_str());
            vouchers::set_status(conn, &actor, (VoucherId(id), to), why, now)
        })
        .await
    };
    match result {
        Ok(()) => Ok(done("/console/vouchers", key, id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            show_vouchers(&state, &viewer, None, (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn suspend(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<StatusForm>,
) -> Result<HttpResponse, Shown> {
    set_status(
        state,
        path.into_inner(),
        posted,
        (VoucherStatus::Suspended, "suspended"),
    )
    .await
}

pub async fn reinstate(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<StatusForm>,
) -> Result<HttpResponse, Shown> {
    set_status(
        state,
        path.into_inner(),
        posted,
        (VoucherStatus::Active, "reinstated"),
    )
    .await
}

pub async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<StatusForm>,
) -> Result<HttpResponse, Shown> {
    set_status(
        state,
        path.into_inner(),
        posted,
        (VoucherStatus::Revoked, "revoked"),
    )
    .await
}
