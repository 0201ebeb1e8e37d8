//! Console sign-ins: only the cookie token's digest is stored; an expired session, or one whose
//! account changed its token version, matches nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{console_sessions, users};
use super::users::UserRow;

#[derive(Debug, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct NewSession {
    pub user_id: i64,
    pub token_hash: String,
    pub token_version: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewSession) -> QueryResult<usize> {
    diesel::insert_into(console_sessions::table)
        .values(new)
        .execute(conn)
}

/// The active account behind a live session, and when the session ends.
pub fn authenticate(
    conn: &mut DbConnection,
    digest: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(UserRow, NaiveDateTime)>> {
    console_sessions::table
        .inner_join(users::table)
        .filter(console_sessions::token_hash.eq(digest))
        .filter(console_sessions::expires_at.gt(now))
        .filter(users::active.eq(true))
        .filter(users::token_version.eq(console_sessions::token_version))
        .select((users::all_columns, console_sessions::expires_at))
        .first(conn)
        .optional()
}

/// Ends a session (signing out); nothing happens for a token that matches none.
pub fn delete(conn: &mut DbConnection, digest: &str) -> QueryResult<usize> {
    diesel::delete(console_sessions::table.filter(console_sessions::token_hash.eq(digest)))
        .execute(conn)
}

/// Drops sessions that ended before `before`.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(console_sessions::table.filter(console_sessions::expires_at.lt(before)))
        .execute(conn)
}
