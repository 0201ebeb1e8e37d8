//! Settlement statements and the ledger entries each one claims.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use super::DbConnection;
use diesel::sql_types::{BigInt, Bool};

use super::schema::{settlement_lines as l, settlement_statements as s, voucher_ledger};
use crate::domain::types::StatementStatus;

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct StatementRow {
    pub id: i64,
    pub issuer_id: i64,
    pub provider_id: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub amount_fen: i64,
    pub line_count: i64,
    pub status: StatementStatus,
    pub issued_at: NaiveDateTime,
    pub agreed_at: Option<NaiveDateTime>,
    pub paid_at: Option<NaiveDateTime>,
    pub payment_reference: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = s)]
pub struct NewStatement {
    pub issuer_id: i64,
    pub provider_id: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub amount_fen: i64,
    pub line_count: i64,
    pub status: StatementStatus,
    pub issued_at: NaiveDateTime,
}

/// Inserts a statement and claims `entries` for it. `Ok(None)` when another statement claimed
/// one of them first (the unique index decides, even between concurrent transactions).
pub fn insert(
    conn: &mut DbConnection,
    new: &NewStatement,
    entries: &[i64],
) -> QueryResult<Option<StatementRow>> {
    let row: StatementRow = diesel::insert_into(s::table).values(new).get_result(conn)?;
    for chunk in entries.chunks(CLAIM_CHUNK) {
        match claim(conn, row.id, chunk) {
            Ok(_) => {}
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(row))
}

/// Entries claimed per statement: well below either backend's limit of bound parameters.
const CLAIM_CHUNK: usize = 10_000;

/// Claims `entries` for `statement` in one statement: batch inserts do not compile on the
/// two-backend connection, but an insert from a select does.
fn claim(conn: &mut DbConnection, statement: i64, entries: &[i64]) -> QueryResult<usize> {
    let lines = voucher_ledger::table
        .filter(voucher_ledger::id.eq_any(entries))
        .select((
            statement.into_sql::<BigInt>(),
            voucher_ledger::id,
            true.into_sql::<Bool>(),
        ));
    diesel::insert_into(l::table)
        .values(lines)
        .into_columns((l::statement_id, l::entry_id, l::live))
        .execute(conn)
}
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<StatementRow>> {
    s::table.find(id).first(conn).optional()
}

/// Which statements to list: those with one organisation as either party (none for all), and
/// optional filters.
#[derive(Debug, Default, Clone)]
pub struct StatementFilter {
    pub party: Option<i64>,
    pub status: Option<StatementStatus>,
    pub issuer_id: Option<i64>,
    pub provider_id: Option<i64>,
}

/// Up to `limit` statements matching `f` with ids after `after`, oldest first.
pub fn list(
    conn: &mut DbConnection,
    f: &StatementFilter,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<StatementRow>> {
    let mut q = s::table.order(s::id).into_boxed();
    if let Some(org) = f.party {
        q = q.filter(s::issuer_id.eq(org).or(s::provider_id.eq(org)));
    }
    if let Some(status) = f.status {
        q = q.filter(s::status.eq(status));
    }
    if let Some(issuer) = f.issuer_id {
        q = q.filter(s::issuer_id.eq(issuer));
    }
    if let Some(provider) = f.provider_id {
        q = q.filter(s::provider_id.eq(provider));
    }
    if let Some(after) = after {
        q = q.filter(s::id.gt(after));
    }
    q.limit(limit).load(conn)
}

/// What a step changes besides the status.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = s)]
pub struct StepChange {
    pub agreed_at: Option<NaiveDateTime>,
    pub paid_at: Option<NaiveDateTime>,
    pub payment_reference: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_reason: Option<String>,
}

/// Moves a statement from `from` to `to`; false when it was no longer `from`. A statement that
/// no longer holds its lines releases them.
pub fn advance(
    conn: &mut DbConnection,
    id: i64,
    (from, to): (StatementStatus, StatementStatus),
    change: &StepChange,
) -> QueryResult<bool> {
    let moved = diesel::update(s::table.find(id).filter(s::status.eq(from)))
        .set((s::status.eq(to), change))
        .execute(conn)?;
    if moved == 1 && !to.holds_lines() {
        diesel::update(l::table.filter(l::statement_id.eq(id)))
            .set(l::live.eq(false))
            .execute(conn)?;
    }
    Ok(moved == 1)
}
