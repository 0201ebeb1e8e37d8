//! Computing allocations, usage imports and usage records.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::actor::Reach;
use crate::domain::ids::AllocationId;
use crate::domain::types::AllocationState;

use diesel::sql_types::{BigInt, Timestamp};

use super::DbConnection;
use super::schema::{allocations as a, usage_imports as ui, usage_records as ur};

#[derive(Debug, Clone, Queryable)]
pub struct AllocationRow {
    pub id: i64,
    pub resource_id: i64,
    pub organization_id: i64,
    pub requester_id: i64,
    pub project: String,
    pub account: String,
    pub state: AllocationState,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub requested_unit_hours: i64,
    pub granted_unit_hours: Option<i64>,
    pub customer_category: String,
    pub rate_fen: i64,
    pub purpose_kind: String,
    pub voucher_id: Option<i64>,
    pub accepted_co_payment_fen: Option<i64>,
    pub voucher_share_fen: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = a)]
pub struct NewAllocation {
    pub resource_id: i64,
    pub organization_id: i64,
    pub requester_id: i64,
    pub project: String,
    pub account: String,
    pub state: AllocationState,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub requested_unit_hours: i64,
    pub customer_category: String,
    pub rate_fen: i64,
    pub purpose_kind: String,
    pub voucher_id: Option<i64>,
    pub accepted_co_payment_fen: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewAllocation) -> QueryResult<AllocationRow> {
    diesel::insert_into(a::table)
        .values(new)
        .returning(a::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: AllocationId) -> QueryResult<Option<AllocationRow>> {
    a::table.find(id.0).first(conn).optional()
}

/// Locks allocations, in id order, until the transaction ends: a decision, an import and the
/// ending job never act on one allocation at once. On SQLite the write transaction already
/// holds the only lock.
pub fn lock(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<()> {
    let query = a::table
        .filter(a::id.eq_any(ids))
        .order(a::id)
        .select(a::id);
    match conn {
        DbConnection::Postgresql(pg) => query.for_update().load::<i64>(pg).map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Which allocations a listing covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub resource: Option<i64>,
    pub state: Option<AllocationState>,
}

/// Allocations within `reach` that match `f`, in id order after `after`.
pub fn list(
    conn: &mut DbConnection,
    reach: Reach,
    f: &Filter,
    (after, limit): (Option<i64>, i64),
) -> QueryResult<Vec<AllocationRow>> {
    let mut q = a::table.order(a::id).into_boxed();
    match reach {
        Reach::All => {}
        Reach::Institution(org) => {
            q = q.filter(a::resource_id.eq_any(super::resources::of_institution(org)))
        }
        Reach::Operated(user) => {
            q = q.filter(a::resource_id.eq_any(super::resources::operated(user)))
        }
        Reach::Member { org: Some(org), .. } => q = q.filter(a::organization_id.eq(org.0)),
        Reach::Member { org: None, .. } | Reach::Agency(_) | Reach::Nothing => {
            return Ok(Vec::new());
        }
    }
    if let Some(r) = f.resource {
        q = q.filter(a::resource_id.eq(r));
    }
    if let Some(s) = &f.state {
        q = q.filter(a::state.eq(*s));
    }
    if let Some(after) = after {
        q = q.filter(a::id.gt(after));
    }
    q.limit(limit).load(conn)
}

/// Another approved allocation of `account` on the resource whose period overlaps `[from, to]`.
pub fn account_clash(
    conn: &mut DbConnection,
    resource: i64,
    account: &str,
    (from, to): (NaiveDate, NaiveDate),
    except: i64,
) -> QueryResult<Option<i64>> {
    a::table
        .filter(a::resource_id.eq(resource))
        .filter(a::account.eq(account))
        .filter(a::state.eq(AllocationState::Approved))
        .filter(a::id.ne(except))
        .filter(a::starts_on.le(to))
        .filter(a::ends_on.ge(from))
        .select(a::id)
        .first(conn)
        .optional()
}

/// The decision on a pending allocation: its new state, what was granted and the voucher share.
pub struct Decision<'a> {
    pub state: AllocationState,
    pub granted_unit_hours: Option<i64>,
    pub voucher_share_fen: i64,
    pub by: Option<i64>,
    pub reason: Option<&'a str>,
    pub at: NaiveDateTime,
}

pub fn decide(conn: &mut DbConnection, id: i64, d: &Decision<'_>) -> QueryResult<AllocationRow> {
    diesel::update(a::table.find(id))
        .set((
            a::state.eq(d.state),
            a::granted_unit_hours.eq(d.granted_unit_hours),
            a::voucher_share_fen.eq(d.voucher_share_fen),
            a::decided_by.eq(d.by),
            a::decided_at.eq(d.at),
            a::reason.eq(d.reason),
            a::updated_at.eq(d.at),
        ))
        .returning(a::all_columns)
        .get_result(conn)
}

pub fn set_state(
    conn: &mut DbConnection,
    id: i64,
    state: AllocationState,
    at: NaiveDateTime,
) -> QueryResult<AllocationRow> {
    diesel::update(a::table.find(id))
        .set((a::state.eq(state), a::updated_at.eq(at)))
        .returning(a::all_columns)
        .get_result(conn)
}

/// Approved allocations whose period ended before `day`, up to `limit`.
pub fn ended_before(conn: &mut DbConnection, day: NaiveDate, limit: i64) -> QueryResult<Vec<i64>> {
    a::table
        .filter(a::state.eq(AllocationState::Approved))
        .filter(a::ends_on.lt(day))
        .order(a::id)
        .select(a::id)
        .limit(limit)
        .load(conn)
}

/// Approved (or ended) allocations of `accounts` on a resource, to match usage records against.
pub fn of_accounts(
    conn: &mut DbConnection,
    resource: i64,
    accounts: &[String],
) -> QueryResult<Vec<AllocationRow>> {
    a::table
        .filter(a::resource_id.eq(resource))
        .filter(a::account.eq_any(accounts))
        .filter(a::state.eq_any([
            AllocationState::Approved,
            AllocationState::Ended,
            AllocationState::Pending,
        ]))
        .order(a::id)
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct ImportRow {
    pub id: i64,
    pub resource_id: i64,
    pub digest: String,
    pub source: String,
    pub records: i64,
    pub skipped_duplicates: i64,
    pub imported_by: i64,
    pub at: NaiveDateTime,
}

pub fn find_import(
    conn: &mut DbConnection,
    resource: i64,
    digest: &str,
) -> QueryResult<Option<ImportRow>> {
    ui::table
        .filter(ui::resource_id.eq(resource))
        .filter(ui::digest.eq(digest))
        .first(conn)
        .optional()
}

pub struct NewImport<'a> {
    pub resource: i64,
    pub digest: &'a str,
    pub source: &'a str,
    pub by: i64,
    pub at: NaiveDateTime,
}

pub fn insert_import(conn: &mut DbConnection, new: &NewImport<'_>) -> QueryResult<ImportRow> {
    diesel::insert_into(ui::table)
        .values((
            ui::resource_id.eq(new.resource),
            ui::digest.eq(new.digest),
            ui::source.eq(new.source),
            ui::records.eq(0),
            ui::skipped_duplicates.eq(0),
            ui::imported_by.eq(new.by),
            ui::at.eq(new.at),
        ))
        .returning(ui::all_columns)
        .get_result(conn)
}

pub fn count_import(
    conn: &mut DbConnection,
    id: i64,
    records: i64,
    duplicates: i64,
) -> QueryResult<ImportRow> {
    diesel::update(ui::table.find(id))
        .set((
            ui::records.eq(records),
            ui::skipped_duplicates.eq(duplicates),
        ))
        .returning(ui::all_columns)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct RecordRow {
    pub id: i64,
    pub import_id: i64,
    pub line: i64,
    pub resource_id: i64,
    pub allocation_id: i64,
    pub job_id: Option<String>,
    pub account: String,
    pub user_name: String,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub units: i64,
    pub unit_minutes: i64,
    pub overage_minutes: i64,
    pub fee_fen: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ur)]
pub struct NewRecord {
    pub import_id: i64,
    pub line: i64,
    pub resource_id: i64,
    pub allocation_id: i64,
    pub job_id: Option<String>,
    pub account: String,
    pub user_name: String,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub units: i64,
    pub unit_minutes: i64,
    pub overage_minutes: i64,
    pub fee_fen: i64,
}

pub fn insert_records(conn: &mut DbConnection, rows: &[NewRecord]) -> QueryResult<usize> {
    Ok(crate::insert_in_chunks!(conn, ur::table, rows))
}

/// Which of `jobs` the resource already has records of.
pub fn known_jobs(
    conn: &mut DbConnection,
    resource: i64,
    jobs: &[String],
) -> QueryResult<Vec<String>> {
    let mut known = Vec::new();
    for chunk in jobs.chunks(1_000) {
        let found: Vec<Option<String>> = ur::table
            .filter(ur::resource_id.eq(resource))
            .filter(ur::job_id.eq_any(chunk))
            .select(ur::job_id)
            .load(conn)?;
        known.extend(found.into_iter().flatten());
    }
    Ok(known)
}

#[derive(QueryableByName)]
struct Sums {
    #[diesel(sql_type = BigInt)]
    within: i64,
    #[diesel(sql_type = BigInt)]
    overage: i64,
    #[diesel(sql_type = BigInt)]
    fee: i64,
    #[diesel(sql_type = BigInt)]
    recent: i64,
}

/// An allocation's use so far: unit-minutes within it and beyond it, fees, and the unit-minutes
/// of jobs that ended at or after `recent_from`. Summed by the database (cast, because
/// PostgreSQL sums integers as numeric).
pub fn drawn(
    conn: &mut DbConnection,
    allocation: i64,
    recent_from: NaiveDateTime,
) -> QueryResult<crate::domain::allocation::Use> {
    let sql = super::dialect::for_backend(
        conn,
        "SELECT SAFE_SUM(unit_minutes - overage_minutes) AS within, \
         SAFE_SUM(overage_minutes) AS overage, SAFE_SUM(fee_fen) AS fee, \
         SAFE_SUM(CASE WHEN ended_at >= $2 THEN unit_minutes ELSE 0 END) AS recent \
         FROM usage_records WHERE allocation_id = $1",
    );
    let s: Sums = diesel::sql_query(sql)
        .bind::<BigInt, _>(allocation)
        .bind::<Timestamp, _>(recent_from)
        .get_result(conn)?;
    Ok(crate::domain::allocation::Use {
        within_minutes: s.within,
        overage_minutes: s.overage,
        fee_fen: s.fee,
        recent_minutes: s.recent,
    })
}

pub fn records_page(
    conn: &mut DbConnection,
    allocation: i64,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RecordRow>> {
    let mut q = ur::table
        .filter(ur::allocation_id.eq(allocation))
        .order(ur::id)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(ur::id.gt(after));
    }
    q.limit(limit).load(conn)
}
