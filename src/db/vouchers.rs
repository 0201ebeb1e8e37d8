//! Voucher programmes, vouchers and their ledgers. Balances are derived from the ledger here and
//! nowhere stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::actor::Reach;
use crate::domain::ids::{ProgramId, VoucherId};
use crate::domain::types::VoucherStatus;

use super::DbConnection;
use super::schema::{voucher_ledger, voucher_programs, vouchers};
use crate::domain::ledger::{Claim, Entry, Ledger, Movement};

#[derive(Debug, Clone, Queryable)]
pub struct ProgramRow {
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
    pub accepted_provinces: String,
    pub eligible_kinds: String,
    pub eligible_categories: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = voucher_programs)]
pub struct NewProgram {
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
    pub accepted_provinces: String,
    pub eligible_kinds: String,
    pub eligible_categories: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct VoucherRow {
    pub id: i64,
    pub program_id: i64,
    pub enterprise_id: i64,
    pub status: VoucherStatus,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct LedgerRow {
    pub id: i64,
    pub voucher_id: i64,
    pub movement: Movement,
    pub amount_fen: i64,
    pub booking_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub year: i32,
    pub at: NaiveDateTime,
    pub allocation_id: Option<i64>,
    pub service_order_id: Option<i64>,
}

impl LedgerRow {
    /// The booking, allocation or service order the line belongs to, if any.
    pub fn claim(&self) -> Option<Claim> {
        match (self.booking_id, self.allocation_id, self.service_order_id) {
            (Some(b), _, _) => Some(Claim::Booking(b)),
            (None, Some(a), _) => Some(Claim::Allocation(a)),
            (None, None, Some(o)) => Some(Claim::ServiceOrder(o)),
            (None, None, None) => None,
        }
    }
}

pub fn insert_program(conn: &mut DbConnection, new: &NewProgram) -> QueryResult<ProgramRow> {
    diesel::insert_into(voucher_programs::table)
        .values(new)
        .returning(voucher_programs::all_columns)
        .get_result(conn)
}

pub fn list_programs(
    conn: &mut DbConnection,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ProgramRow>> {
    let mut q = voucher_programs::table
        .order(voucher_programs::id)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(voucher_programs::id.gt(a));
    }
    q.limit(limit).load(conn)
}

pub fn find_program(conn: &mut DbConnection, id: ProgramId) -> QueryResult<Option<ProgramRow>> {
    voucher_programs::table.find(id.0).first(conn).optional()
}

pub fn find_program_by_code(
    conn: &mut DbConnection,
    code: &str,
) -> QueryResult<Option<ProgramRow>> {
    voucher_programs::table
        .filter(voucher_programs::code.eq(code))
        .first(conn)
        .optional()
}

pub fn insert_voucher(
    conn: &mut DbConnection,
    program: i64,
    enterprise: i64,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<VoucherRow> {
    diesel::insert_into(vouchers::table)
        .values((
            vouchers::program_id.eq(program),
            vouchers::enterprise_id.eq(enterprise),
            vouchers::status.eq(VoucherStatus::Active),
            vouchers::expires_at.eq(expires_at),
            vouchers::created_at.eq(now),
            vouchers::updated_at.eq(now),
        ))
        .returning(vouchers::all_columns)
        .get_result(conn)
}

pub fn find_voucher(conn: &mut DbConnection, id: VoucherId) -> QueryResult<Option<VoucherRow>> {
    vouchers::table.find(id.0).first(conn).optional()
}

/// Vouchers of one enterprise, or of the programmes one agency issues, or all.
/// Vouchers within `reach`: an enterprise's own, those of an agency's programmes, or all.
pub fn list_vouchers(
    conn: &mut DbConnection,
    reach: Reach,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<VoucherRow>> {
    let mut q = vouchers::table.order(vouchers::id).into_boxed();
    match reach {
        Reach::All => {}
        Reach::Member { org: Some(org), .. } => q = q.filter(vouchers::enterprise_id.eq(org.0)),
        Reach::Agency(org) => {
            let mine = voucher_programs::table
                .filter(voucher_programs::issuer_id.eq(org.0))
                .select(voucher_programs::id);
            q = q.filter(vouchers::program_id.eq_any(mine));
        }
        _ => return Ok(Vec::new()),
    }
    if let Some(a) = after {
        q = q.filter(vouchers::id.gt(a));
    }
    q.limit(limit).load(conn)
}

pub fn ledger_rows(conn: &mut DbConnection, voucher: i64) -> QueryResult<Vec<LedgerRow>> {
    ledger_page(conn, voucher, 0, i64::MAX)
}

/// One page of a voucher's ledger, oldest first, after entry `after`.
pub fn ledger_page(
    conn: &mut DbConnection,
    voucher: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<LedgerRow>> {
    voucher_ledger::table
        .filter(voucher_ledger::voucher_id.eq(voucher))
        .filter(voucher_ledger::id.gt(after))
        .order(voucher_ledger::id)
        .limit(limit)
        .load(conn)
}

/// The voucher's ledger as the domain sees it (reversals point at positions, not ids).
pub fn ledger(rows: &[LedgerRow]) -> Ledger {
    let position = |id: i64| rows.iter().position(|r| r.id == id);
    Ledger::from_entries(
        rows.iter()
            .map(|r| Entry {
                movement: r.movement,
                amount: r.amount_fen,
                claim: r.claim(),
                reverses: r.reverses_id.and_then(position),
            })
            .collect(),
    )
}

/// One new ledger line.
pub struct Line<'a> {
    pub voucher: i64,
    pub entry: &'a Entry,
    pub reverses_id: Option<i64>,
    pub actor: Option<i64>,
    pub reason: Option<&'a str>,
    pub year: i32,
    pub at: NaiveDateTime,
}

fn booking_of(claim: Option<Claim>) -> Option<i64> {
    match claim {
        Some(Claim::Booking(id)) => Some(id),
        _ => None,
    }
}

fn allocation_of(claim: Option<Claim>) -> Option<i64> {
    match claim {
        Some(Claim::Allocation(id)) => Some(id),
        _ => None,
    }
}

fn order_of(claim: Option<Claim>) -> Option<i64> {
    match claim {
        Some(Claim::ServiceOrder(id)) => Some(id),
        _ => None,
    }
}

pub fn append(conn: &mut DbConnection, line: &Line<'_>) -> QueryResult<LedgerRow> {
    diesel::insert_into(voucher_ledger::table)
        .values((
            voucher_ledger::voucher_id.eq(line.voucher),
            voucher_ledger::movement.eq(line.entry.movement),
            voucher_ledger::amount_fen.eq(line.entry.amount),
            voucher_ledger::booking_id.eq(booking_of(line.entry.claim)),
            voucher_ledger::allocation_id.eq(allocation_of(line.entry.claim)),
            voucher_ledger::service_order_id.eq(order_of(line.entry.claim)),
            voucher_ledger::reverses_id.eq(line.reverses_id),
            voucher_ledger::actor_id.eq(line.actor),
            voucher_ledger::reason.eq(line.reason),
            voucher_ledger::year.eq(line.year),
            voucher_ledger::at.eq(line.at),
        ))
        .returning(voucher_ledger::all_columns)
        .get_result(conn)
}

pub fn set_status(
    conn: &mut DbConnection,
    id: i64,
    status: VoucherStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(vouchers::table.find(id))
        .set((vouchers::status.eq(status), vouchers::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

/// Locks the vouchers one enterprise holds under one programme, in id order, until the
/// transaction ends. On SQLite the `BEGIN IMMEDIATE` transaction already holds the only write lock.
pub fn lock_of_enterprise(
    conn: &mut DbConnection,
    program: i64,
    enterprise: i64,
) -> QueryResult<()> {
    let query = vouchers::table
        .filter(vouchers::program_id.eq(program))
        .filter(vouchers::enterprise_id.eq(enterprise))
        .order(vouchers::id)
        .select(vouchers::id);
    match conn {
        DbConnection::Postgresql(pg) => query.for_update().load::<i64>(pg).map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Vouchers past their expiry with no expiry entry yet, up to `limit`.
pub fn due_for_expiry(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let expired = voucher_ledger::table
        .filter(voucher_ledger::movement.eq(Movement::Expire))
        .select(voucher_ledger::voucher_id);
    vouchers::table
        .filter(vouchers::expires_at.le(now))
        .filter(diesel::dsl::not(vouchers::id.eq_any(expired)))
        .order(vouchers::id)
        .select(vouchers::id)
        .limit(limit)
        .load(conn)
}

/// One movement as the annual cap counts it: id, movement, amount, what it reverses, the year it
/// was taken in, and its booking.
/// Every movement on an enterprise's vouchers of one programme.
pub fn enterprise_movements(
    conn: &mut DbConnection,
    program: i64,
    enterprise: i64,
) -> QueryResult<Vec<LedgerRow>> {
    let mine = vouchers::table
        .filter(vouchers::program_id.eq(program))
        .filter(vouchers::enterprise_id.eq(enterprise))
        .select(vouchers::id);
    voucher_ledger::table
        .filter(voucher_ledger::voucher_id.eq_any(mine))
        .load(conn)
}
