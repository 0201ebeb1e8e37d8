//! Idempotency keys: the first answer to a request, kept per user and key, so that a retry with
//! the same key and body replays it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::idempotency_keys;
use crate::domain::ids::UserId;

/// The stored first answer to a request: the hash of its body, status and response.
pub fn idempotent_response(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
) -> QueryResult<Option<(String, i32, String)>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user.0))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()
}

/// Claims an idempotency key for a request; false when the user already used it. On PostgreSQL
/// a concurrent claim of the same key waits until the first transaction ends.
pub fn claim_key(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let claim = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user.0),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::status.eq(0),
            idempotency_keys::body.eq(""),
            idempotency_keys::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    // Per backend: the multi-backend query builder has no ON CONFLICT.
    let inserted = match conn {
        DbConnection::Postgresql(pg) => claim.execute(pg)?,
        DbConnection::Sqlite(lite) => claim.execute(lite)?,
    };
    Ok(inserted == 1)
}

/// Stores the response a claimed key replays.
pub fn finish_key(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    status: u16,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((user.0, key)))
        .set((
            idempotency_keys::status.eq(i32::from(status)),
            idempotency_keys::body.eq(body),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Drops the keys first used at or before `before`; a retry with one runs as a new request.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.le(before)))
        .execute(conn)
}

/// Frees a claimed key whose request did not complete, so a retry runs again.
pub fn forget_key(conn: &mut DbConnection, user: UserId, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((user.0, key)))
        .execute(conn)
        .map(|_| ())
}
