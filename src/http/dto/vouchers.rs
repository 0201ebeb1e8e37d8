//! Voucher programmes, vouchers and ledger entries on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::vouchers::{LedgerRow, ProgramRow};
use crate::domain::ledger::Balance;
use crate::domain::programs::ProgramDraft;
use crate::domain::types::{Movement, Province, ResourceKind, VoucherStatus};
use crate::vouchers::Loaded;

#[derive(Debug, Serialize)]
pub struct Program {
    pub id: i64,
    pub code: String,
    pub issuer_id: i64,
    pub issuer_province: String,
    pub name_en: String,
    pub name_zh: String,
    pub kind: String,
    pub ratio_bps: i64,
    pub annual_cap_fen: i64,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub accepted_provinces: Vec<String>,
    pub eligible_kinds: Vec<String>,
    pub eligible_categories: Vec<String>,
    pub created_at: DateTime<Utc>,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl From<&ProgramRow> for Program {
    fn from(p: &ProgramRow) -> Program {
        Program {
            id: p.id,
            code: p.code.clone(),
            issuer_id: p.issuer_id,
            issuer_province: p.issuer_province.clone(),
            name_en: p.name_en.clone(),
            name_zh: p.name_zh.clone(),
            kind: p.kind.clone(),
            ratio_bps: p.ratio_bps,
            annual_cap_fen: p.annual_cap_fen,
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            accepted_provinces: words(&p.accepted_provinces),
            eligible_kinds: words(&p.eligible_kinds),
            eligible_categories: words(&p.eligible_categories),
            created_at: p.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Voucher {
    pub id: i64,
    pub program: Program,
    pub enterprise_id: i64,
    pub status: VoucherStatus,
    pub expires_at: DateTime<Utc>,
    pub usable: bool,
    pub balance: Balance,
    pub annual_cap_left_fen: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Loaded> for Voucher {
    fn from(v: &Loaded) -> Voucher {
        Voucher {
            id: v.voucher.id,
            program: Program::from(&v.program),
            enterprise_id: v.voucher.enterprise_id,
            status: v.voucher.status,
            expires_at: v.voucher.expires_at.and_utc(),
            usable: v.standing.usable,
            balance: v.balance,
            annual_cap_left_fen: v.standing.cap_left.max(0),
            created_at: v.voucher.created_at.and_utc(),
            updated_at: v.voucher.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub movement: Movement,
    pub amount_fen: i64,
    pub booking_id: Option<i64>,
    pub allocation_id: Option<i64>,
    pub service_order_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<LedgerRow> for LedgerEntry {
    fn from(r: LedgerRow) -> LedgerEntry {
        LedgerEntry {
            id: r.id,
            movement: r.movement,
            amount_fen: r.amount_fen,
            booking_id: r.booking_id,
            allocation_id: r.allocation_id,
            service_order_id: r.service_order_id,
            reverses_id: r.reverses_id,
            actor_id: r.actor_id,
            reason: r.reason,
            at: r.at.and_utc(),
        }
    }
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
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    accepted_provinces: Vec<Province>,
    eligible_kinds: Vec<ResourceKind>,
    #[serde(default)]
    eligible_categories: Vec<String>,
}

impl From<CreateProgram> for ProgramDraft {
    fn from(b: CreateProgram) -> ProgramDraft {
        ProgramDraft {
            code: b.code,
            name_en: b.name_en,
            name_zh: b.name_zh,
            kind: b.kind,
            ratio_bps: b.ratio_bps,
            annual_cap_fen: b.annual_cap_fen,
            valid_from: b.valid_from,
            valid_until: b.valid_until,
            accepted_provinces: b.accepted_provinces,
            eligible_kinds: b.eligible_kinds,
            eligible_categories: b.eligible_categories,
        }
    }
}
