//! One stretch of days read from the recorded uses themselves (the days of a period outside its
//! whole months). Uses wholly inside are summed by the database, grouped down to the user, in
//! integers the server wrote (a booking's `used_unit_minutes`, a job's `unit_minutes`), so both
//! databases agree; the few across the stretch's edges come row by row, found by two short index
//! ranges (no use is longer than the longest ever recorded), and are cut to it in Rust.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::{Ended, Key, Period, Scope, Sum, in_scope, run};
use crate::db::DbConnection;
use crate::domain::availability::Span;
use crate::domain::sharing::{LATE_CANCEL_HOURS, Use};

/// Completed bookings, as (resource, organisation, voucher, user, start, end, unit-minutes, fee,
/// voucher amount), begun in `[lo, hi)`. `+resource_id` keeps SQLite on the period's range of the
/// time index rather than each resource's whole history; PostgreSQL ignores the plus.
fn booked(lo: &str, hi: &str, scope: &str) -> String {
    format!(
        "SELECT resource_id, organization_id, voucher_id, 'u' || CAST(booker_id AS TEXT) AS user_key, \
         check_in_at AS started, check_out_at AS ended, COALESCE(used_unit_minutes, 0) AS unit_minutes, \
         COALESCE(final_gross_fen, 0) AS fee_fen, COALESCE(final_voucher_fen, 0) AS voucher_fen \
         FROM bookings WHERE state = 'completed' AND check_in_at >= {lo} AND check_in_at < {hi} \
         AND +resource_id {scope}"
    )
}

/// Recorded jobs in the same shape; a job's user is its login on that resource.
fn ran(lo: &str, hi: &str, scope: &str) -> String {
    format!(
        "SELECT r.resource_id, a.organization_id, a.voucher_id, \
         'r' || CAST(r.resource_id AS TEXT) || ':' || r.user_name AS user_key, r.started_at AS started, \
         r.ended_at AS ended, r.unit_minutes, r.fee_fen, CAST(0 AS BIGINT) AS voucher_fen \
         FROM usage_records r JOIN allocations a ON a.id = r.allocation_id \
         WHERE r.started_at >= {lo} AND r.started_at < {hi} AND r.resource_id {scope}"
    )
}

type Source = fn(&str, &str, &str) -> String;

#[derive(QueryableByName)]
struct Summed {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    voucher_id: Option<i64>,
    #[diesel(sql_type = Text)]
    user_key: String,
    #[diesel(sql_type = BigInt)]
    unit_minutes: i64,
    #[diesel(sql_type = BigInt)]
    fee_fen: i64,
    #[diesel(sql_type = BigInt)]
    voucher_fen: i64,
    #[diesel(sql_type = BigInt)]
    uses: i64,
    /// Uses that overlap the stretch at all (a use of no length at its very start does not).
    #[diesel(sql_type = BigInt)]
    overlapping: i64,
}

#[derive(QueryableByName)]
struct Edge {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    voucher_id: Option<i64>,
    #[diesel(sql_type = Text)]
    user_key: String,
    #[diesel(sql_type = Timestamp)]
    started: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    ended: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    unit_minutes: i64,
    #[diesel(sql_type = BigInt)]
    fee_fen: i64,
    #[diesel(sql_type = BigInt)]
    voucher_fen: i64,
}

/// Adds the uses and endings of `[from, to)`; no use is longer than `longest` minutes.
pub fn stretch(
    conn: &mut DbConnection,
    p: &mut Period,
    (from, to): (NaiveDateTime, NaiveDateTime),
    scope: Scope,
    longest: i64,
) -> QueryResult<()> {
    let reach = Duration::minutes(longest + 1);
    for source in [booked as Source, ran] {
        let inside = format!(
            "SELECT resource_id, organization_id, voucher_id, user_key, \
             SAFE_SUM(unit_minutes) AS unit_minutes, SAFE_SUM(fee_fen) AS fee_fen, \
             SAFE_SUM(voucher_fen) AS voucher_fen, CAST(COUNT(*) AS BIGINT) AS uses, \
             CAST(SUM(CASE WHEN ended > $1 THEN 1 ELSE 0 END) AS BIGINT) AS overlapping \
             FROM ({}) u WHERE ended < $2 GROUP BY resource_id, organization_id, voucher_id, user_key",
            source("$1", "$2", &in_scope(3, 4))
        );
        for s in run::<Summed>(conn, &inside, &[from, to], scope)? {
            let key = Key {
                resource: s.resource_id,
                organization: s.organization_id,
                voucher: s.voucher_id,
            };
            let sum = Sum {
                unit_minutes: s.unit_minutes,
                fee_fen: s.fee_fen,
                voucher_fen: s.voucher_fen,
                uses: s.uses,
            };
            p.add(key, sum);
            if s.overlapping > 0 {
                p.users.entry(s.resource_id).or_default().insert(s.user_key);
            }
        }
        // Begun before the stretch and running into it; begun in it and running past its end.
        let before = format!(
            "SELECT * FROM ({}) u WHERE ended >= $1",
            source("$2", "$1", &in_scope(3, 4))
        );
        let after = format!(
            "SELECT * FROM ({}) u WHERE started >= $1 AND ended >= $2",
            source("$3", "$2", &in_scope(4, 5))
        );
        let late = (to - reach).max(from);
        let mut edges = run::<Edge>(conn, &before, &[from, from - reach], scope)?;
        edges.extend(run::<Edge>(conn, &after, &[from, to, late], scope)?);
        for e in edges {
            add_edge(p, e, Span::new(from.and_utc(), to.and_utc()));
        }
    }
    for e in run::<Ended>(conn, &endings_sql(conn), &[from, to], scope)? {
        p.add_endings(e.resource_id, e.endings());
    }
    Ok(())
}

/// A use across an edge of `span`: its share of unit-minutes, and its fee, voucher payment and
/// count if it ended inside.
fn add_edge(p: &mut Period, e: Edge, span: Span) {
    let u = Use {
        organization: e.organization_id,
        user: e.user_key,
        used: Span::new(e.started.and_utc(), e.ended.and_utc()),
        unit_minutes: e.unit_minutes,
        fee_fen: e.fee_fen,
    };
    let ended = u.ended_in(span);
    let key = Key {
        resource: e.resource_id,
        organization: e.organization_id,
        voucher: e.voucher_id,
    };
    let sum = Sum {
        unit_minutes: u.tally(span).unit_minutes,
        fee_fen: if ended { u.fee_fen } else { 0 },
        voucher_fen: if ended { e.voucher_fen } else { 0 },
        uses: i64::from(ended),
    };
    p.add(key, sum);
    if u.used.start < span.end && span.start < u.used.end {
        p.users.entry(e.resource_id).or_default().insert(u.user);
    }
}

/// How bookings due to start in the stretch ended; a cancellation less than
/// [`LATE_CANCEL_HOURS`] before the start is late.
fn endings_sql(conn: &DbConnection) -> String {
    let h = LATE_CANCEL_HOURS;
    let before_start = match conn {
        DbConnection::Postgresql(_) => format!("start_at - INTERVAL '{h} hours'"),
        DbConnection::Sqlite(_) => format!("datetime(start_at, '-{h} hours')"),
    };
    let late = format!("state = 'cancelled' AND updated_at > {before_start}");
    format!(
        "SELECT resource_id, \
         CAST(SUM(CASE WHEN state <> 'cancelled' OR ({late}) THEN 1 ELSE 0 END) AS BIGINT) AS due, \
         CAST(SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END) AS BIGINT) AS no_shows, \
         CAST(SUM(CASE WHEN {late} THEN 1 ELSE 0 END) AS BIGINT) AS late_cancels \
         FROM bookings WHERE start_at >= $1 AND start_at < $2 \
         AND state IN ('completed', 'no_show', 'cancelled') AND +resource_id {} \
         GROUP BY resource_id",
        in_scope(3, 4)
    )
}
