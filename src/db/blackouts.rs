//! Blackouts: periods a resource is closed for maintenance or a shutdown, with a reason.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::blackouts;
use crate::domain::ids::{BlackoutId, ResourceId};

#[derive(Debug, Clone, Queryable)]
pub struct BlackoutRow {
    pub id: i64,
    pub resource_id: i64,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub reason: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = blackouts)]
pub struct NewBlackout {
    pub resource_id: i64,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub reason: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert_blackout(conn: &mut DbConnection, new: &NewBlackout) -> QueryResult<BlackoutRow> {
    diesel::insert_into(blackouts::table)
        .values(new)
        .returning(blackouts::all_columns)
        .get_result(conn)
}

/// Blackouts of a resource that end after `from` (all when absent), in id order.
pub fn list_blackouts(
    conn: &mut DbConnection,
    id: ResourceId,
    from: Option<NaiveDateTime>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<BlackoutRow>> {
    let mut query = blackouts::table
        .filter(blackouts::resource_id.eq(id.0))
        .order(blackouts::id)
        .into_boxed();
    if let Some(f) = from {
        query = query.filter(blackouts::end_at.gt(f));
    }
    if let Some(a) = after {
        query = query.filter(blackouts::id.gt(a));
    }
    query.limit(limit).load(conn)
}

/// Blackouts of a resource that overlap `[from, to)`.
pub fn blackouts_overlapping(
    conn: &mut DbConnection,
    id: ResourceId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<BlackoutRow>> {
    crate::native!(conn, c => blackouts::table
        .filter(blackouts::resource_id.eq(id.0))
        .filter(blackouts::start_at.lt(to))
        .filter(blackouts::end_at.gt(from))
        .order(blackouts::start_at)
        .load(c))
}

/// Deletes a blackout of the resource and returns it; none when it has no such blackout.
pub fn delete_blackout(
    conn: &mut DbConnection,
    id: ResourceId,
    blackout: BlackoutId,
) -> QueryResult<Option<BlackoutRow>> {
    let mine = blackouts::table
        .filter(blackouts::id.eq(blackout.0))
        .filter(blackouts::resource_id.eq(id.0));
    let found: Option<BlackoutRow> = mine.first(conn).optional()?;
    if found.is_some() {
        diesel::delete(mine).execute(conn)?;
    }
    Ok(found)
}
