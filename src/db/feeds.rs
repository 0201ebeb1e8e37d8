//! Calendar feeds: only their URL token's digest is stored; a revoked feed matches nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::calendar_feeds;

#[derive(Debug, Clone, Queryable)]
pub struct FeedRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub resource_id: Option<i64>,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = calendar_feeds)]
pub struct NewFeed {
    pub user_id: i64,
    pub kind: String,
    pub resource_id: Option<i64>,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewFeed) -> QueryResult<FeedRow> {
    diesel::insert_into(calendar_feeds::table)
        .values(new)
        .returning(calendar_feeds::all_columns)
        .get_result(conn)
}

/// The user's feeds that still answer, in id order after `after`.
pub fn list_for_user(
    conn: &mut DbConnection,
    user: i64,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<FeedRow>> {
    calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(user))
        .filter(calendar_feeds::revoked_at.is_null())
        .filter(calendar_feeds::id.gt(after.unwrap_or(0)))
        .order(calendar_feeds::id)
        .limit(limit)
        .load(conn)
}

/// The user's live feed `id`.
pub fn find_for_user(conn: &mut DbConnection, id: i64, user: i64) -> QueryResult<Option<FeedRow>> {
    calendar_feeds::table
        .find(id)
        .filter(calendar_feeds::user_id.eq(user))
        .filter(calendar_feeds::revoked_at.is_null())
        .first(conn)
        .optional()
}

/// The live feed whose token has this digest.
pub fn find_by_digest(conn: &mut DbConnection, digest: &str) -> QueryResult<Option<FeedRow>> {
    calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(digest))
        .filter(calendar_feeds::revoked_at.is_null())
        .first(conn)
        .optional()
}

/// Revokes a live feed; false when it was not live.
pub fn revoke(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(calendar_feeds::table.find(id))
        .filter(calendar_feeds::revoked_at.is_null())
        .set(calendar_feeds::revoked_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}
