//! Failed sign-ins per throttle key, in fixed windows (see `domain::throttle`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::sign_in_failures as f;
use crate::domain::throttle::Count;

/// The stored counters among `keys`.
pub fn counts(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Vec<Count>> {
    let rows: Vec<(String, NaiveDateTime, i64)> = f::table
        .filter(f::key.eq_any(keys.to_vec()))
        .select((f::key, f::window_start, f::failures))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(key, window_start, failures)| Count {
            key,
            window_start,
            failures,
        })
        .collect())
}

/// Counts one failure under `key`: in its window if that began after `window_after`, else in
/// a new window starting `now`.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
    window_after: NaiveDateTime,
) -> QueryResult<()> {
    let counted = diesel::update(
        f::table
            .filter(f::key.eq(key))
            .filter(f::window_start.gt(window_after)),
    )
    .set(f::failures.eq(f::failures + 1))
    .execute(conn)?;
    if counted > 0 {
        return Ok(());
    }
    let restart = diesel::insert_into(f::table)
        .values((f::key.eq(key), f::window_start.eq(now), f::failures.eq(1)))
        .on_conflict(f::key)
        .do_update()
        .set((f::window_start.eq(now), f::failures.eq(1)));
    // Per backend: the multi-backend query builder has no ON CONFLICT.
    match conn {
        DbConnection::Postgresql(pg) => restart.execute(pg)?,
        DbConnection::Sqlite(lite) => restart.execute(lite)?,
    };
    Ok(())
}

pub fn clear(conn: &mut DbConnection, keys: &[String]) -> QueryResult<usize> {
    diesel::delete(f::table.filter(f::key.eq_any(keys.to_vec()))).execute(conn)
}

/// Drops counters whose window began at or before `before`; they no longer refuse anything.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(f::table.filter(f::window_start.le(before))).execute(conn)
}
