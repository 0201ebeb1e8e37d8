//! Voucher rules that need the database: a voucher's standing (balance from its ledger, what the
//! annual cap still allows, whether it is usable) and quotes.

use chrono::{Datelike, NaiveDateTime};

use crate::db::DbConnection;
use crate::db::vouchers::{self as store, ProgramRow, VoucherRow};
use crate::domain::actor::{Actor, Reach};
use crate::domain::ids::{ProgramId, VoucherId};
use crate::domain::ledger::{Balance, Claim, Movement};
use crate::domain::money::{Fen, Standing, Terms};
use crate::domain::programs::ProgramDraft;
use crate::domain::types::{Province, ResourceKind, Role, VoucherStatus};
use crate::error::ServiceError;

/// Whose vouchers the caller sees: a booker their organisation's, an issuer those of the
/// programmes their agency issues, an admin all.
pub fn listed_for(actor: &Actor) -> Result<Reach, ServiceError> {
    actor.require(&[Role::Booker, Role::Issuer]).map_err(|_| {
        ServiceError::forbidden("vouchers are seen by their enterprise, their issuer and admins")
    })?;
    Ok(actor.reach())
}

/// Loads a voucher the caller may see; anyone else gets 404.
pub fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    id: VoucherId,
    now: NaiveDateTime,
) -> Result<Loaded, ServiceError> {
    let reach = listed_for(actor)?;
    let v = load(conn, id, now)?.ok_or_else(|| ServiceError::not_found("voucher"))?;
    let seen = match reach {
        Reach::All => true,
        Reach::Member { org: Some(org), .. } => org.0 == v.voucher.enterprise_id,
        Reach::Agency(org) => org.0 == v.program.issuer_id,
        _ => false,
    };
    if seen {
        Ok(v)
    } else {
        Err(ServiceError::not_found("voucher"))
    }
}

/// The calendar year in Asia/Shanghai, which annual caps count by.
pub fn shanghai_year(at: NaiveDateTime) -> i32 {
    at.and_utc()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .year()
}

pub fn terms(p: &ProgramRow) -> Terms {
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    Terms {
        ratio_bps: p.ratio_bps,
        accepted_provinces: words(&p.accepted_provinces)
            .iter()
            .filter_map(|w| Province::parse(w))
            .collect(),
        eligible_kinds: words(&p.eligible_kinds)
            .iter()
            .filter_map(|w| ResourceKind::parse(w))
            .collect(),
        eligible_categories: words(&p.eligible_categories),
    }
}

/// What an enterprise has committed under a programme in a year: held or spent, net of releases
/// and reversed captures, across all its vouchers of that programme. Money counts in the year it
/// was held: a release or a reversed capture in January gives back to the year of its hold.
pub fn committed_in_year(
    conn: &mut DbConnection,
    program: i64,
    enterprise: i64,
    year: i32,
) -> Result<Fen, ServiceError> {
    let rows = store::enterprise_movements(conn, program, enterprise)?;
    // The year each claim's hold was taken in (one hold per booking, allocation or order).
    let held_in: std::collections::HashMap<Claim, i32> = rows
        .iter()
        .filter(|r| r.movement == Movement::Hold)
        .filter_map(|r| Some((r.claim()?, r.year)))
        .collect();
    let movement_of = |id: i64| rows.iter().find(|r| r.id == id).map(|r| r.movement);
    let mut total = 0;
    for r in &rows {
        if r.claim().and_then(|c| held_in.get(&c)) != Some(&year) {
            continue;
        }
        match (r.movement, r.reverses_id.and_then(movement_of)) {
            (Movement::Hold, _) => total += r.amount_fen,
            (Movement::Release, _) => total -= r.amount_fen,
            // A reversed capture is money given back; grants and expiries never counted.
            (Movement::Reversal, Some(Movement::Capture)) => total -= r.amount_fen,
            _ => {}
        }
    }
    Ok(total)
}

/// A voucher with its programme, balance and standing at `now`.
pub struct Loaded {
    pub voucher: VoucherRow,
    pub program: ProgramRow,
    pub balance: Balance,
    pub standing: Standing,
}

pub fn load(
    conn: &mut DbConnection,
    id: VoucherId,
    now: NaiveDateTime,
) -> Result<Option<Loaded>, ServiceError> {
    let Some(voucher) = store::find_voucher(conn, id)? else {
        return Ok(None);
    };
    let program = store::find_program(conn, ProgramId(voucher.program_id))?
        .ok_or_else(|| ServiceError::internal("voucher without programme"))?;
    let rows = store::ledger_rows(conn, id.0)?;
    let ledger = store::ledger(&rows);
    let balance = ledger.balance();
    let today = now
        .and_utc()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let usable = voucher.status == VoucherStatus::Active
        && now < voucher.expires_at
        && !ledger.expired()
        && program.valid_from <= today
        && today <= program.valid_until;
    let committed = committed_in_year(conn, program.id, voucher.enterprise_id, shanghai_year(now))?;
    let standing = Standing {
        usable,
        available: balance.available,
        cap_left: program.annual_cap_fen - committed,
    };
    Ok(Some(Loaded {
        voucher,
        program,
        balance,
        standing,
    }))
}

/// Grants a voucher of `program` to an enterprise, with its opening ledger line, for the
/// programme's issuing agency (or an admin).
/// Refuses a grant to an enterprise registered outside the programme's province.
fn in_jurisdiction(
    conn: &mut DbConnection,
    org: &crate::db::organizations::OrganizationRow,
    p: &store::ProgramRow,
) -> Result<(), ServiceError> {
    let place = crate::db::jurisdictions::find(conn, &org.jurisdiction_code)?
        .ok_or_else(|| ServiceError::internal("organisation without a jurisdiction"))?;
    if place.province == p.issuer_province {
        return Ok(());
    }
    let name = |code: &str| Province::parse(code).map_or(code.to_owned(), |p| p.name_en().into());
    Err(ServiceError::invalid_field(
        "enterprise_id",
        format!(
            "the enterprise is registered in {}; programme {} grants only to enterprises in {}",
            name(&place.province),
            p.code,
            name(&p.issuer_province)
        ),
    ))
}

pub fn grant(
    conn: &mut DbConnection,
    actor: &crate::domain::actor::Actor,
    program: i64,
    enterprise: i64,
    amount: Fen,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<VoucherRow, ServiceError> {
    use crate::db::organizations;
    use crate::domain::ids::OrganizationId;
    let p = store::find_program(conn, ProgramId(program))?
        .ok_or_else(|| ServiceError::invalid_field("program_id", "no such programme"))?;
    if !actor.acts_for(OrganizationId(p.issuer_id)) {
        return Err(ServiceError::forbidden(
            "only the programme's issuing agency grants its vouchers",
        ));
    }
    let org = organizations::find(conn, OrganizationId(enterprise))?
        .filter(|o| o.kind == "enterprise")
        .ok_or_else(|| {
            ServiceError::invalid_field("enterprise_id", "vouchers are granted to enterprises")
        })?;
    in_jurisdiction(conn, &org, &p)?;
    if amount <= 0 || amount > 100_000_000_000 {
        return Err(ServiceError::invalid_field(
            "amount_fen",
            "must be between 1 and 100000000000 fen",
        ));
    }
    let last_day = p.valid_until.and_hms_opt(15, 59, 59).unwrap_or(expires_at);
    if expires_at <= now || expires_at > last_day {
        return Err(ServiceError::invalid_field(
            "expires_at",
            format!(
                "must be in the future and no later than the programme's last day, {}",
                p.valid_until
            ),
        ));
    }
    let voucher = store::insert_voucher(conn, p.id, enterprise, expires_at, now)?;
    let mut ledger = crate::domain::ledger::Ledger::default();
    let entry = ledger
        .grant(amount)
        .map_err(|e| ServiceError::invalid_field("amount_fen", e.to_string()))?
        .clone();
    let line = store::Line {
        voucher: voucher.id,
        entry: &entry,
        reverses_id: None,
        actor: Some(actor.id.0),
        reason: Some("granted"),
        year: shanghai_year(now),
        at: now,
    };
    store::append(conn, &line)?;
    Ok(voucher)
}

/// Suspends, reinstates or revokes a voucher (its issuing agency, or an admin); revocation is final.
pub fn set_status(
    conn: &mut DbConnection,
    actor: &crate::domain::actor::Actor,
    (id, to): (VoucherId, VoucherStatus),
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    use crate::domain::ids::OrganizationId;
    let v = store::find_voucher(conn, id)?.ok_or_else(|| ServiceError::not_found("voucher"))?;
    let p = store::find_program(conn, ProgramId(v.program_id))?
        .ok_or_else(|| ServiceError::internal("voucher without programme"))?;
    if !actor.acts_for(OrganizationId(p.issuer_id)) {
        return Err(ServiceError::not_found("voucher"));
    }
    use VoucherStatus::{Active, Revoked, Suspended};
    let allowed = matches!(
        (v.status, to),
        (Active, Suspended) | (Suspended, Active) | (Active | Suspended, Revoked)
    );
    if !allowed {
        return Err(ServiceError::new(
            crate::error::ErrorCode::InvalidState,
            format!("a {} voucher cannot become {to}", v.status),
        ));
    }
    store::set_status(conn, id.0, to, now)?;
    let action = match to {
        Active => "voucher.reinstated",
        Suspended => "voucher.suspended",
        Revoked => "voucher.revoked",
    };
    let change = crate::audit::Change {
        subject: ("voucher", id.0),
        action,
        owner: Some(p.issuer_id),
        party: None,
        reason,
    };
    let status = |s: VoucherStatus| serde_json::json!({ "status": s });
    let (before, after) = (status(v.status), status(to));
    crate::audit::record(conn, actor, change, (Some(&before), Some(&after)), now)
}

/// Corrects a ledger: reverses one grant, capture or expiry of a voucher with a reason, for the
/// programme's issuing agency (or an admin). The reversal is a new line; nothing is edited.
pub fn reverse(
    conn: &mut DbConnection,
    actor: &crate::domain::actor::Actor,
    voucher: i64,
    entry_id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<store::LedgerRow, ServiceError> {
    use crate::domain::ids::OrganizationId;
    let v = store::find_voucher(conn, VoucherId(voucher))?
        .ok_or_else(|| ServiceError::not_found("voucher"))?;
    let p = store::find_program(conn, ProgramId(v.program_id))?
        .ok_or_else(|| ServiceError::internal("voucher without programme"))?;
    if !actor.acts_for(OrganizationId(p.issuer_id)) {
        return Err(ServiceError::not_found("voucher"));
    }
    crate::booking::payment::lock_vouchers(conn, voucher)?;
    let rows = store::ledger_rows(conn, voucher)?;
    let position = rows
        .iter()
        .position(|r| r.id == entry_id)
        .ok_or_else(|| ServiceError::not_found("ledger entry"))?;
    let mut ledger = store::ledger(&rows);
    let entry = ledger
        .reverse(position)
        .map_err(|e| ServiceError::new(crate::error::ErrorCode::InvalidState, e.to_string()))?
        .clone();
    let line = store::Line {
        voucher,
        entry: &entry,
        reverses_id: Some(entry_id),
        actor: Some(actor.id.0),
        reason: Some(reason),
        year: shanghai_year(now),
        at: now,
    };
    Ok(store::append(conn, &line)?)
}

/// Defines a programme of the caller's agency, in the agency's province; its code is unique.
pub fn create_program(
    conn: &mut DbConnection,
    actor: &Actor,
    draft: ProgramDraft,
    now: NaiveDateTime,
) -> Result<ProgramRow, ServiceError> {
    let issues = draft.issues();
    if !issues.is_empty() {
        return Err(ServiceError::validation(issues));
    }
    let agency = actor.org.ok_or_else(|| {
        ServiceError::forbidden("programmes belong to an issuing agency; admins have none")
    })?;
    let org = crate::db::organizations::find(conn, agency)?
        .ok_or_else(|| ServiceError::internal("agency vanished"))?;
    let province = crate::db::jurisdictions::find(conn, &org.jurisdiction_code)?
        .map(|j| j.province)
        .ok_or_else(|| ServiceError::internal("agency without jurisdiction"))?;
    if store::find_program_by_code(conn, &draft.code)?.is_some() {
        return Err(ServiceError::conflict(format!(
            "a programme with code {} exists",
            draft.code
        )));
    }
    let words = |items: Vec<&str>| items.join(" ");
    let new = store::NewProgram {
        issuer_id: agency.0,
        issuer_province: province,
        name_en: draft.name_en.trim().to_owned(),
        name_zh: draft.name_zh.trim().to_owned(),
        kind: draft.kind.trim().to_owned(),
        ratio_bps: draft.ratio_bps,
        annual_cap_fen: draft.annual_cap_fen,
        valid_from: draft.valid_from,
        valid_until: draft.valid_until,
        accepted_provinces: words(
            draft
                .accepted_provinces
                .iter()
                .map(|p| p.as_str())
                .collect(),
        ),
        eligible_kinds: words(draft.eligible_kinds.iter().map(|k| k.as_str()).collect()),
        eligible_categories: draft.eligible_categories.join(" "),
        created_at: now,
        code: draft.code,
    };
    let row = store::insert_program(conn, &new)?;
    let change = crate::audit::Change {
        subject: ("voucher_program", row.id),
        action: "voucher_program.created",
        owner: Some(row.issuer_id),
        party: None,
        reason: None,
    };
    let after = serde_json::json!({
        "code": row.code, "name_en": row.name_en, "name_zh": row.name_zh, "kind": row.kind,
        "ratio_bps": row.ratio_bps, "annual_cap_fen": row.annual_cap_fen,
        "valid_from": row.valid_from, "valid_until": row.valid_until,
        "accepted_provinces": row.accepted_provinces, "eligible_kinds": row.eligible_kinds,
    });
    crate::audit::record(conn, actor, change, (None::<&()>, Some(&after)), now)?;
    Ok(row)
}
