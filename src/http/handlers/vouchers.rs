//! Voucher programmes, vouchers with their balances and ledgers, and quotes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{keyed, ok};
use crate::app::AppState;
use crate::booking::payment;
use crate::db::vouchers::{self as store, LedgerRow, ProgramRow};
use crate::db::{organizations, resources};
use crate::domain::actor::Actor;
use crate::domain::ids::{ResourceId, VoucherId};
use crate::domain::money::PurposeKind;
use crate::domain::types::{Province, ResourceKind, VoucherStatus};
use crate::error::ServiceError;
use crate::http::dto::{parse_instant, utc};
use crate::http::extract::{Authorized, Issuers, Json};
use crate::http::idempotency::Key;
use crate::http::page::{Page, PageQuery};
use crate::http::{read, write};
use crate::vouchers::{self, Loaded};

fn program_json(p: &ProgramRow) -> Value {
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    json!({
        "id": p.id, "code": p.code, "issuer_id": p.issuer_id, "issuer_province": p.issuer_province,
        "name_en": p.name_en, "name_zh": p.name_zh, "kind": p.kind, "ratio_bps": p.ratio_bps,
        "annual_cap_fen": p.annual_cap_fen, "valid_from": p.valid_from, "valid_until": p.valid_until,
        "accepted_provinces": words(&p.accepted_provinces), "eligible_kinds": words(&p.eligible_kinds),
        "eligible_categories": words(&p.eligible_categories), "created_at": utc(p.created_at),
    })
}

fn voucher_json(v: &Loaded) -> Value {
    json!({
        "id": v.voucher.id, "program": program_json(&v.program), "enterprise_id": v.voucher.enterprise_id,
        "status": v.voucher.status, "expires_at": utc(v.voucher.expires_at), "usable": v.standing.usable,
        "balance": v.balance, "annual_cap_left_fen": v.standing.cap_left.max(0),
        "created_at": utc(v.voucher.created_at), "updated_at": utc(v.voucher.updated_at),
    })
}

fn ledger_json(r: LedgerRow) -> Value {
    json!({
        "id": r.id, "movement": r.movement, "amount_fen": r.amount_fen, "booking_id": r.booking_id,
        "allocation_id": r.allocation_id, "reverses_id": r.reverses_id, "actor_id": r.actor_id, "reason": r.reason, "at": utc(r.at),
    })
}

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
        |p| program_json(&p),
    )))
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
        |v| voucher_json(&v),
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
    Ok(ok(voucher_json(&v)))
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
    Ok(ok(page.finish(rows, |r| r.id.to_string(), ledger_json)))
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
}

fn one() -> i64 {
    1
}

/// The minutes a quote is for: a slot's (`start`, `end`), or an allocation's unit-hours.
fn quoted_minutes(q: &QuoteQuery) -> Result<i64, ServiceError> {
    match (&q.start, &q.end, q.unit_hours) {
        (Some(start), Some(end), None) => {
            let (start, end) = (parse_instant("start", start)?, parse_instant("end", end)?);
            if end <= start {
                return Err(ServiceError::invalid_field("end", "must be after start"));
            }
            Ok((end - start).num_minutes())
        }
        (None, None, Some(hours)) if (1..=100_000_000).contains(&hours) => Ok(hours * 60),
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
    let minutes = quoted_minutes(&q)?;
    if !(1..=1_000_000).contains(&q.quantity) {
        return Err(ServiceError::invalid_field(
            "quantity",
            "must be between 1 and 1000000",
        ));
    }
    let org = user.org.ok_or_else(|| {
        ServiceError::forbidden("quotes are for an organisation's bookers; admins have none")
    })?;
    let purpose = q.purpose_kind.unwrap_or(PurposeKind::Research);
    let body = read(&state, move |conn| {
        let view = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
        let now = clock.now();
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
    keyed(state, (user.id, key), StatusCode::CREATED, move |conn| {
        let (program, enterprise) = (b.program_id, b.enterprise_id);
        let row = vouchers::grant(conn, &user, program, enterprise, b.amount_fen, expires, now)?;
        let v = vouchers::load(conn, VoucherId(row.id), now)?
            .ok_or_else(|| ServiceError::internal("granted voucher vanished"))?;
        Ok(voucher_json(&v))
    })
    .await
}

async fn change_status(
    state: web::Data<AppState>,
    user: Actor,
    id: i64,
    to: VoucherStatus,
) -> Result<HttpResponse, ServiceError> {
    let now = state.clock.naive();
    let v = write(&state, move |conn| {
        vouchers::set_status(conn, &user, VoucherId(id), to, now)?;
        vouchers::load(conn, VoucherId(id), now)?.ok_or_else(|| ServiceError::not_found("voucher"))
    })
    .await?;
    Ok(ok(voucher_json(&v)))
}

pub async fn suspend_voucher(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    change_status(state, a.user, path.into_inner(), VoucherStatus::Suspended).await
}

pub async fn reinstate_voucher(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    change_status(state, a.user, path.into_inner(), VoucherStatus::Active).await
}

pub async fn revoke_voucher(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    change_status(state, a.user, path.into_inner(), VoucherStatus::Revoked).await
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
    if !crate::domain::text_fits(&reason, 500) {
        return Err(ServiceError::invalid_field(
            "reason",
            "say why the entry is reversed (1 to 500 characters)",
        ));
    }
    let key = Key::of(&req, &reason)?;
    let now = state.clock.naive();
    keyed(state, (user.id, key), StatusCode::CREATED, move |conn| {
        let row = vouchers::reverse(conn, &user, voucher, entry, &reason, now)?;
        Ok(ledger_json(row))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProgram {
    code: String,
    name_en: String,
    name_zh: String,
    kind: String,
    ratio_bps: i64,
    annual_cap_fen: i64,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    accepted_provinces: Vec<Province>,
    eligible_kinds: Vec<ResourceKind>,
    #[serde(default)]
    eligible_categories: Vec<String>,
}

fn check_program(b: &CreateProgram) -> Result<(), ServiceError> {
    use crate::domain::{Issue, text_fits};
    let mut issues = Vec::new();
    let mut check = |ok: bool, field: &str, message: &str| {
        if !ok {
            issues.push(Issue::field(field, message));
        }
    };
    let code_ok = (2..=20).contains(&b.code.len())
        && b.code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    check(code_ok, "code", "2 to 20 characters: A-Z, 0-9 and -");
    check(
        text_fits(&b.name_en, 200),
        "name_en",
        "must be 1 to 200 characters",
    );
    check(
        text_fits(&b.name_zh, 200),
        "name_zh",
        "must be 1 to 200 characters",
    );
    check(
        text_fits(&b.kind, 40) && !b.kind.contains(char::is_whitespace),
        "kind",
        "one word of at most 40 characters, such as innovation or computing",
    );
    check(
        (1..=10_000).contains(&b.ratio_bps),
        "ratio_bps",
        "must be between 1 and 10000 basis points",
    );
    check(
        b.annual_cap_fen >= 0,
        "annual_cap_fen",
        "must not be negative",
    );
    check(
        b.valid_from <= b.valid_until,
        "valid_until",
        "must not be before valid_from",
    );
    check(
        !b.accepted_provinces.is_empty(),
        "accepted_provinces",
        "name at least one province",
    );
    check(
        !b.eligible_kinds.is_empty(),
        "eligible_kinds",
        "name at least one kind",
    );
    check(
        b.eligible_categories
            .iter()
            .all(|c| text_fits(c, 100) && !c.contains(char::is_whitespace)),
        "eligible_categories",
        "categories are single words of at most 100 characters",
    );
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::validation(issues))
    }
}

/// Defines a programme of the caller's agency, in the agency's province.
pub async fn create_voucher_program(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Issuers>,
    body: Json<CreateProgram>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let b = body.into_inner();
    check_program(&b)?;
    let agency = user.org.ok_or_else(|| {
        ServiceError::forbidden("programmes belong to an issuing agency; admins have none")
    })?;
    let join = |items: Vec<String>| items.join(" ");
    let row = write(&state, move |conn| {
        let org = organizations::find(conn, agency)?
            .ok_or_else(|| ServiceError::internal("agency vanished"))?;
        let province = crate::db::jurisdictions::find(conn, &org.jurisdiction_code)?
            .map(|j| j.province)
            .ok_or_else(|| ServiceError::internal("agency without jurisdiction"))?;
        if store::find_program_by_code(conn, &b.code)?.is_some() {
            return Err(ServiceError::conflict(format!(
                "a programme with code {} exists",
                b.code
            )));
        }
        let new = store::NewProgram {
            code: b.code,
            issuer_id: agency.0,
            issuer_province: province,
            name_en: b.name_en.trim().to_owned(),
            name_zh: b.name_zh.trim().to_owned(),
            kind: b.kind.trim().to_owned(),
            ratio_bps: b.ratio_bps,
            annual_cap_fen: b.annual_cap_fen,
            valid_from: b.valid_from,
            valid_until: b.valid_until,
            accepted_provinces: join(
                b.accepted_provinces
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            ),
            eligible_kinds: join(
                b.eligible_kinds
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect(),
            ),
            eligible_categories: join(b.eligible_categories),
            created_at: clock.naive(),
        };
        Ok(store::insert_program(conn, &new)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(program_json(&row)))
}
