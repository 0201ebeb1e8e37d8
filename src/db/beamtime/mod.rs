//! Beamtime calls: the calls themselves, their reviewers and the shifts they offer. Proposals,
//! their reviewers and their reviews are in [`proposals`].

pub mod proposals;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{beam_call_reviewers as cr, beam_calls as c, beam_shifts as sh};

#[derive(Debug, Clone, Queryable)]
pub struct CallRow {
    pub id: i64,
    pub organization_id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub description: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub reviews_due_at: NaiveDateTime,
    pub beam_from: NaiveDateTime,
    pub beam_to: NaiveDateTime,
    /// The review criteria's names, as a JSON array.
    pub criteria: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub allocated_at: Option<NaiveDateTime>,
}

/// A new call: the row without its id.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = c)]
pub struct NewCall {
    pub organization_id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub description: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub reviews_due_at: NaiveDateTime,
    pub beam_from: NaiveDateTime,
    pub beam_to: NaiveDateTime,
    pub criteria: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct ShiftRow {
    pub id: i64,
    pub call_id: i64,
    pub resource_id: i64,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub proposal_id: Option<i64>,
    pub booking_id: Option<i64>,
}

/// Opens a call with its reviewers and shifts (`(resource, start, end)`).
pub fn insert_call(
    conn: &mut DbConnection,
    new: &NewCall,
    reviewers: &[i64],
    shifts: &[(i64, NaiveDateTime, NaiveDateTime)],
) -> QueryResult<CallRow> {
    let row: CallRow = diesel::insert_into(c::table)
        .values(new)
        .returning(c::all_columns)
        .get_result(conn)?;
    for user in reviewers {
        diesel::insert_into(cr::table)
            .values((cr::call_id.eq(row.id), cr::user_id.eq(user)))
            .execute(conn)?;
    }
    for (resource, start, end) in shifts {
        diesel::insert_into(sh::table)
            .values((
                sh::call_id.eq(row.id),
                sh::resource_id.eq(resource),
                sh::start_at.eq(start),
                sh::end_at.eq(end),
            ))
            .execute(conn)?;
    }
    Ok(row)
}

pub fn find_call(conn: &mut DbConnection, id: i64) -> QueryResult<Option<CallRow>> {
    c::table.find(id).first(conn).optional()
}

/// Locks a call for its allocation. On SQLite the write transaction already holds the only lock.
pub fn lock_call(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let query = c::table.filter(c::id.eq(id)).select(c::id);
    match conn {
        DbConnection::Postgresql(pg) => query.for_update().load::<i64>(pg).map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// A page of calls, newest first, of one institution or of all.
pub fn list_calls(
    conn: &mut DbConnection,
    organization: Option<i64>,
    (before, limit): (Option<i64>, i64),
) -> QueryResult<Vec<CallRow>> {
    let mut q = c::table.order(c::id.desc()).limit(limit).into_boxed();
    if let Some(org) = organization {
        q = q.filter(c::organization_id.eq(org));
    }
    if let Some(id) = before {
        q = q.filter(c::id.lt(id));
    }
    q.load(conn)
}

pub fn reviewers_of(conn: &mut DbConnection, call: i64) -> QueryResult<Vec<i64>> {
    cr::table
        .filter(cr::call_id.eq(call))
        .order(cr::user_id)
        .select(cr::user_id)
        .load(conn)
}

/// The calls `user` reviews for, of those named.
pub fn reviews_for(conn: &mut DbConnection, user: i64, calls: &[i64]) -> QueryResult<Vec<i64>> {
    cr::table
        .filter(cr::user_id.eq(user))
        .filter(cr::call_id.eq_any(calls))
        .select(cr::call_id)
        .load(conn)
}

/// A call's shifts by resource and start.
pub fn shifts_of(conn: &mut DbConnection, call: i64) -> QueryResult<Vec<ShiftRow>> {
    sh::table
        .filter(sh::call_id.eq(call))
        .order((sh::resource_id, sh::start_at))
        .load(conn)
}

/// Gives a shift to a proposal, with the booking made for it.
pub fn give_shift(
    conn: &mut DbConnection,
    shift: i64,
    (proposal, booking): (i64, i64),
) -> QueryResult<()> {
    diesel::update(sh::table.find(shift))
        .set((sh::proposal_id.eq(proposal), sh::booking_id.eq(booking)))
        .execute(conn)
        .map(|_| ())
}

/// Marks a call allocated; false when it already was.
pub fn mark_allocated(conn: &mut DbConnection, call: i64, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(c::table.find(call).filter(c::allocated_at.is_null()))
        .set(c::allocated_at.eq(at))
        .execute(conn)
        .map(|n| n == 1)
}

/// Calls in review at `now`: closed, before their review deadline, not yet allocated.
pub fn in_review(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<CallRow>> {
    c::table
        .filter(c::closes_at.le(now))
        .filter(c::reviews_due_at.gt(now))
        .filter(c::allocated_at.is_null())
        .order(c::id)
        .limit(limit)
        .load(conn)
}
