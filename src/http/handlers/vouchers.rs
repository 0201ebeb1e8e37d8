//! Voucher programmes, vouchers with their balances and ledgers, and quotes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{Located, at_id, created, keyed, ok};
use crate::app::AppState;
use crate::booking::behalf::booker_of;
use crate::booking::payment;
use crate::db::resources;
use crate::db::vouchers as store;
use crate::domain::actor::Actor;
use crate::domain::availability::Span;
use crate::domain::ids::{ProgramId, ResourceId, UserId, VoucherId};
use crate::domain::money::PurposeKind;
use crate::domain::programs::ProgramDraft;
use crate::domain::types::VoucherStatus;
use crate::error::ServiceError;
use crate::http::dto::parse_instant;
use crate::http::dto::vouchers::{CreateProgram, LedgerEntry, Program, Voucher};
use crate::http::extract::{Authorized, Issuers, Json};
use crate::http::idempotency::Key;
use crate::http::page::{Page, PageQuery};
use crate::http::{read, write};
use crate::vouchers;

pub async fn list_voucher_programs(
    state: web::Data<AppState>,
    _user: Actor,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ServiceError> {
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        Ok(store::list_programs(conn, after, fetch)?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |p| p.id.to_string(),
        |p| Program::from(&p),
    )))
}

/// One programme; like the list, readable by everyone signed in.
pub async fn get_voucher_program(
    state: web::Data<AppState>,
    _user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ProgramId(path.into_inner());
    let row = read(&state, move |conn| Ok(store::find_program(conn, id)?))
        .await?
        .ok_or_else(|| ServiceError::not_found("voucher programme"))?;
    Ok(ok(Program::from(&row)))
}

pub async fn list_vouchers(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ServiceError> {
    let reach = vouchers::listed_for(&user)?;
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let now = state.clock.naive();
    let rows = read(&state, move |conn| {
        let rows = store::list_vouchers(conn, reach, after, fetch)?;
        let mut loaded = Vec::new();
        for r in rows {
            loaded.extend(vouchers::load(conn, VoucherId(r.id), now)?);
        }
        Ok(loaded)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |v| v.voucher.id.to_string(),
        |v| Voucher::from(&v),
    )))
}

pub async fn get_voucher(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = path.into_inner();
    let v = read(&state, move |conn| {
        vouchers::visible(conn, &user, VoucherId(id), clock.naive())
    })
    .await?;
    Ok(ok(Voucher::from(&v)))
}

pub async fn get_voucher_ledger(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = path.into_inner();
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let after = page.after_id()?.unwrap_or(0);
    let limit = page.fetch();
    let rows = read(&state, move |conn| {
        vouchers::visible(conn, &user, VoucherId(id), clock.naive())?;
        Ok(store::ledger_page(conn, id, after, limit)?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |r| r.id.to_string(),
        LedgerEntry::from,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteQuery {
    start: Option<String>,
    end: Option<String>,
    /// For a computing allocation instead of a slot: how many unit-hours.
    unit_hours: Option<i64>,
    #[serde(default = "one")]
    quantity: i64,
    voucher_id: Option<i64>,
    purpose_kind: Option<PurposeKind>,
    /// For a resource's staff: quote for this booker, as a booking on their behalf would be priced.
    booker_id: Option<i64>,
}

fn one() -> i64 {
    1
}

/// What a quote is for: a slot (`start`, `end`), or an allocation's unit-hours (no slot).
fn quoted(q: &QuoteQuery) -> Result<(i64, Option<Span>), ServiceError> {
    match (&q.start, &q.end, q.unit_hours) {
        (Some(start), Some(end), None) => {
            let (start, end) = (parse_instant("start", start)?, parse_instant("end", end)?);
            if end <= start {
                return Err(ServiceError::invalid_field("end", "must be after start"));
            }
            let span = Span::new(start.and_utc(), end.and_utc());
            Ok(((end - start).num_minutes(), Some(span)))
        }
        (None, None, Some(hours)) if (1..=100_000_000).contains(&hours) => Ok((hours * 60, None)),
        (None, None, Some(_)) => Err(ServiceError::invalid_field(
            "unit_hours",
            "must be between 1 and 100000000",
        )),
        _ => Err(ServiceError::invalid_field(
            "start",
            "quote a slot (start and end) or an allocation (unit_hours), one of the two",
        )),
    }
}

/// The fee for a slot at the caller's customer category, and what a voucher would cover.
pub async fn get_quote(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
    query: web::Query<QuoteQuery>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = ResourceId(path.into_inner());
    let q = query.into_inner();
    let (minutes, slot) = quoted(&q)?;
    if !(1..=1_000_000).contains(&q.quantity) {
        return Err(ServiceError::invalid_field(
            "quantity",
            "must be between 1 and 1000000",
        ));
    }
    let purpose = q.purpose_kind.unwrap_or(PurposeKind::Research);
    let body = read(&state, move |conn| {
        let view = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
        let org = match q.booker_id {
            Some(b) => booker_of(conn, &user, Some(UserId(b)), &view)?.1,
            None => user.org.ok_or_else(|| {
                ServiceError::forbidden(
                    "quotes are for an organisation's bookers; admins have none",
                )
            })?,
        };
        let now = clock.now();
        if let Some(span) = slot {
            crate::booking::create::check_quoted(conn, &view, (span, q.quantity), now)?;
        }
        let quote = payment::quote(
            conn,
            org,
            &view,
            (q.quantity, minutes),
            q.voucher_id,
            purpose,
            now,
        )?;
        serde_json::to_value(quote).map_err(ServiceError::internal)
    })
    .await?;
    Ok(ok(body))
}

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct GrantVoucher {
    program_id: i64,
    enterprise_id: i64,
    amount_fen: i64,
    expires_at: String,
}

/// Grants a voucher to an enterprise (the programme's issuing agency).
pub async fn grant_voucher(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Issuers>,
    req: HttpRequest,
    body: Json<GrantVoucher>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    let key = Key::of(
        &req,
        &serde_json::to_string(&b).map_err(ServiceError::internal)?,
    )?;
    let expires = parse_instant("expires_at", &b.expires_at)?;
    let now = state.clock.naive();
    let at = Some(at_id("/api/v1/vouchers"));
    keyed(
        state,
        (user.id, key),
        (StatusCode::CREATED, at),
        move |conn| {
            let (program, enterprise) = (b.program_id, b.enterprise_id);
            let row =
                vouchers::grant(conn, &user, program, enterprise, b.amount_fen, expires, now)?;
            let v = vouchers::load(conn, VoucherId(row.id), now)?
                .ok_or_else(|| ServiceError::internal("granted voucher vanished"))?;
            Ok(Voucher::from(&v))
        },
    )
    .await
}

/// The optional body of a status change: why, for the audit trail.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusReason {
    reason: Option<String>,
}

async fn change_status(
    state: web::Data<AppState>,
    user: Actor,
    (id, to): (i64, VoucherStatus),
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let parsed: StatusReason = super::optional_json(&body, r#"{"reason": "<why>"}"#)?;
    let reason = parsed.reason.map(|r| r.trim().to_owned());
    if reason
        .as_deref()
        .is_some_and(|r| !crate::domain::prose_fits(r, 500))
    {
        return Err(ServiceError::invalid_field(
            "reason",
            "must be 1 to 500 characters",
        ));
    }
    let now = state.clock.naive();
    let v = write(&state, move |conn| {
        let why = reason.as_deref();
        vouchers::set_status(conn, &user, (VoucherId(id), to), why, now)?;
        vouchers::load(conn, VoucherId(id), now)?.ok_or_else(|| ServiceError::not_found("voucher"))
    })
    .await?;
    Ok(ok(Voucher::from(&v)))
}

pub async fn suspend_voucher(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let to = (path.into_inner(), VoucherStatus::Suspended);
    change_status(state, a.user, to, body).await
}

pub async fn reinstate_voucher(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let to = (path.into_inner(), VoucherStatus::Active);
    change_status(state, a.user, to, body).await
}

pub async fn revoke_voucher(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let to = (path.into_inner(), VoucherStatus::Revoked);
    change_status(state, a.user, to, body).await
}

/// Reverses one grant, capture or expiry on a voucher's ledger, with the reason (its issuer).
pub async fn reverse_ledger_entry(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Issuers>,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
    body: Json<crate::http::dto::bookings::Reason>,
) -> Result<HttpResponse, ServiceError> {
    let (voucher, entry) = path.into_inner();
    let reason = body.into_inner().reason.trim().to_owned();
    if !crate::domain::prose_fits(&reason, 500) {
        return Err(ServiceError::invalid_field(
            "reason",
            "say why the entry is reversed (1 to 500 characters)",
        ));
    }
    let key = Key::of(&req, &reason)?;
    let now = state.clock.naive();
    let ledger = format!("/api/v1/vouchers/{voucher}/ledger");
    let at: Located = Box::new(move |_| ledger.clone());
    keyed(
        state,
        (user.id, key),
        (StatusCode::CREATED, Some(at)),
        move |conn| {
            let row = vouchers::reverse(conn, &user, voucher, entry, &reason, now)?;
            Ok(LedgerEntry::from(row))
        },
    )
    .await
}

/// Defines a programme of the caller's agency, in the agency's province.
pub async fn create_voucher_program(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Issuers>,
    body: Json<CreateProgram>,
) -> Result<HttpResponse, ServiceError> {
    let draft = ProgramDraft::from(body.into_inner());
    let now = state.clock.naive();
    let row = write(&state, move |conn| {
        vouchers::create_program(conn, &user, draft, now)
    })
    .await?;
    let at = format!("/api/v1/voucher-programs/{}", row.id);
    Ok(created(&at, Program::from(&row)))
}
