//! Machine API tokens: only digests are stored; a revoked or expired token matches nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{api_tokens, users};
use super::users::UserRow;
use crate::domain::ids::{ApiTokenId, UserId};

#[derive(Debug, Clone, Queryable)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, new: &NewApiToken) -> QueryResult<ApiTokenRow> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        .returning(api_tokens::all_columns)
        .get_result(conn)
}

pub fn list_for_user(
    conn: &mut DbConnection,
    user: UserId,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ApiTokenRow>> {
    let mut query = api_tokens::table
        .filter(api_tokens::user_id.eq(user.0))
        .order(api_tokens::id)
        .into_boxed();
    if let Some(a) = after {
        query = query.filter(api_tokens::id.gt(a));
    }
    query.limit(limit).load(conn)
}

/// Revokes the user's token; false when the user has no such token.
pub fn revoke(
    conn: &mut DbConnection,
    id: ApiTokenId,
    user: UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let token: Option<ApiTokenRow> = api_tokens::table
        .filter(api_tokens::id.eq(id.0))
        .filter(api_tokens::user_id.eq(user.0))
        .first(conn)
        .optional()?;
    let found = token.is_some();
    if let Some(t) = token.filter(|t| t.revoked_at.is_none()) {
        diesel::update(api_tokens::table.find(t.id))
            .set(api_tokens::revoked_at.eq(now))
            .execute(conn)?;
    }
    Ok(found)
}

/// Revokes every live token of the user (their password changed).
pub fn revoke_all(conn: &mut DbConnection, user: UserId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user.0))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// The active user behind a live token digest, and when the token expires; a token without an
/// expiry matches nothing.
pub fn authenticate(
    conn: &mut DbConnection,
    digest: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(UserRow, Option<NaiveDateTime>)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(digest.to_owned()))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((users::all_columns, api_tokens::expires_at))
        .first(conn)
        .optional()
}
