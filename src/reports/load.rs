//! A period's recorded use for every resource in a fixed handful of queries, however many
//! resources there are. Uses wholly inside the period are summed by the database, in integers
//! written by the server (a booking's `used_unit_minutes`, a job's `unit_minutes`), so both
//! databases give the same figures; the few uses across the period's edges come row by row and
//! are cut to the period in Rust.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::{Scope, rollup};
use crate::db::DbConnection;
use crate::domain::availability::Span;
use crate::domain::sharing::{Endings, Tally, Use};

/// Use of one resource by one organisation paying with one voucher (or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub resource: i64,
    pub organization: i64,
    pub voucher: Option<i64>,
}

/// What that use came to in the period.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum {
    pub unit_minutes: i64,
    pub fee_fen: i64,
    pub voucher_fen: i64,
    pub uses: i64,
}

/// Everything recorded in a period.
#[derive(Debug, Default)]
pub struct Period {
    pub sums: BTreeMap<Key, Sum>,
    pub users: HashMap<i64, std::collections::BTreeSet<String>>,
    pub endings: HashMap<i64, Endings>,
    pub blackouts: HashMap<i64, Vec<Span>>,
}

impl Period {
    /// One resource's use tallied by organisation.
    pub fn tallies(&self, resource: i64) -> Vec<Tally> {
        let from = Key {
            resource,
            organization: i64::MIN,
            voucher: None,
        };
        self.sums
            .range(from..)
            .take_while(|(k, _)| k.resource == resource)
            .map(|(k, s)| Tally {
                organization: k.organization,
                unit_minutes: s.unit_minutes,
                fee_fen: s.fee_fen,
            })
            .collect()
    }

    fn add_endings(&mut self, resource: i64, e: Endings) {
        let mine = self.endings.entry(resource).or_default();
        mine.due += e.due;
        mine.no_shows += e.no_shows;
        mine.late_cancels += e.late_cancels;
    }

    fn add(&mut self, key: Key, sum: Sum) {
        let s = self.sums.entry(key).or_default();
        s.unit_minutes += sum.unit_minutes;
        s.fee_fen += sum.fee_fen;
        s.voucher_fen += sum.voucher_fen;
        s.uses += sum.uses;
    }
}

/// How far before `from` a use running into the period may have begun: the longest use ever
/// recorded on any resource (a minute more, for the rounding down of minutes).
fn earliest(conn: &mut DbConnection, from: NaiveDateTime) -> QueryResult<NaiveDateTime> {
    use crate::db::schema::use_bounds as u;
    let longest: Option<i64> = u::table
        .select(diesel::dsl::max(u::longest_use_min))
        .first(conn)?;
    Ok(from - Duration::minutes(longest.unwrap_or(0) + 1))
}

/// What a query covers: `[from, to)` and the resources of `scope`.
#[derive(Clone, Copy)]
struct Window {
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: Scope,
    /// The earliest start a use running into the window can have.
    earliest: NaiveDateTime,
}

/// The resources a query counts: the `$i`th parameter an institution and the `$r`th one resource,
/// each -1 for any.
fn in_scope(i: usize, r: usize) -> String {
    format!(
        "IN (SELECT id FROM resources WHERE (${i} < 0 OR organization_id = ${i}) AND (${r} < 0 OR id = ${r}))"
    )
}

/// Runs one of this module's queries: `$n` placeholders (PostgreSQL's, rewritten as `?n` for
/// SQLite) bound to the period's start and end, the earliest start a use inside may have, and
/// the scope.
fn rows<T>(conn: &mut DbConnection, sql: &str, w: Window) -> QueryResult<Vec<T>>
where
    T: diesel::deserialize::QueryableByName<<DbConnection as diesel::Connection>::Backend>
        + 'static,
{
    let sql = match conn {
        DbConnection::Postgresql(_) => sql.to_owned(),
        DbConnection::Sqlite(_) => sql.replace('$', "?"),
    };
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(w.from)
        .bind::<Timestamp, _>(w.to)
        .bind::<Timestamp, _>(w.earliest)
        .bind::<BigInt, _>(w.scope.institution.unwrap_or(-1))
        .bind::<BigInt, _>(w.scope.resource.unwrap_or(-1))
        .load(conn)
}

#[derive(QueryableByName)]
struct Summed {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    voucher_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    unit_minutes: i64,
    #[diesel(sql_type = BigInt)]
    fee_fen: i64,
    #[diesel(sql_type = BigInt)]
    voucher_fen: i64,
    #[diesel(sql_type = BigInt)]
    uses: i64,
}

impl Summed {
    fn key(&self) -> Key {
        Key {
            resource: self.resource_id,
            organization: self.organization_id,
            voucher: self.voucher_id,
        }
    }

    fn sum(&self) -> Sum {
        Sum {
            unit_minutes: self.unit_minutes,
            fee_fen: self.fee_fen,
            voucher_fen: self.voucher_fen,
            uses: self.uses,
        }
    }
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

impl Ended {
    fn endings(&self) -> Endings {
        Endings {
            due: self.due,
            no_shows: self.no_shows,
            late_cancels: self.late_cancels,
        }
    }
}

#[derive(QueryableByName)]
struct UserOf {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = Text)]
    user_key: String,
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = BigInt)]
    due: i64,
    #[diesel(sql_type = BigInt)]
    no_shows: i64,
    #[diesel(sql_type = BigInt)]
    late_cancels: i64,
}

/// (In the bookings queries, `+resource_id` keeps SQLite from walking each resource's whole
/// history by its resource index instead of the period's range of the time index; on
/// PostgreSQL the plus changes nothing.)
///
/// Completed bookings and recorded jobs, each as (resource, organisation, voucher, user, start,
/// end, unit-minutes, fee, voucher amount). A job's user is its cluster login on that resource.
fn booked() -> String {
    format!(
        "SELECT resource_id, organization_id, voucher_id, 'u' || CAST(booker_id AS TEXT) AS user_key, \
         check_in_at AS started, check_out_at AS ended, COALESCE(used_unit_minutes, 0) AS unit_minutes, \
         COALESCE(final_gross_fen, 0) AS fee_fen, COALESCE(final_voucher_fen, 0) AS voucher_fen \
         FROM bookings WHERE state = 'completed' AND check_in_at >= $3 AND check_in_at < $2 \
         AND +resource_id {}",
        in_scope(4, 5)
    )
}

fn ran() -> String {
    format!(
        "SELECT r.resource_id, a.organization_id, a.voucher_id, \
         'r' || CAST(r.resource_id AS TEXT) || ':' || r.user_name AS user_key, r.started_at AS started, \
         r.ended_at AS ended, r.unit_minutes, r.fee_fen, CAST(0 AS BIGINT) AS voucher_fen \
         FROM usage_records r JOIN allocations a ON a.id = r.allocation_id \
         WHERE r.started_at >= $3 AND r.started_at < $2 AND r.resource_id {}",
        in_scope(4, 5)
    )
}

fn summed(source: &str) -> String {
    format!(
        "SELECT resource_id, organization_id, voucher_id, CAST(SUM(unit_minutes) AS BIGINT) AS unit_minutes, \
         CAST(SUM(fee_fen) AS BIGINT) AS fee_fen, CAST(SUM(voucher_fen) AS BIGINT) AS voucher_fen, \
         CAST(COUNT(*) AS BIGINT) AS uses FROM ({source}) u \
         WHERE started >= $1 AND ended < $2 GROUP BY resource_id, organization_id, voucher_id"
    )
}

fn edges(source: &str) -> String {
    // A use ending exactly as the period begins adds no time, but is fetched for its fee's sake.
    format!("SELECT * FROM ({source}) u WHERE ended >= $1 AND (started < $1 OR ended >= $2)")
}

fn users(source: &str) -> String {
    format!("SELECT DISTINCT resource_id, user_key FROM ({source}) u WHERE ended > $1")
}

/// How bookings due to start in the period ended; a cancellation less than
/// [`super::LATE_CANCEL_HOURS`] before the start is late.
fn endings_sql(conn: &DbConnection) -> String {
    let h = super::LATE_CANCEL_HOURS;
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
         FROM bookings WHERE start_at >= $1 AND start_at < $2 AND start_at >= $3 \
         AND state IN ('completed', 'no_show', 'cancelled') AND +resource_id {scoped} \
         GROUP BY resource_id",
        scoped = in_scope(4, 5)
    )
}

/// Everything recorded in `[from, to)` (Shanghai midnights) on the resources of `scope`: whole
/// months from the monthly totals, the days before and after them from the uses themselves.
pub fn period(
    conn: &mut DbConnection,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Period> {
    let mut p = Period::default();
    let mut first = rollup::month_of(from);
    if rollup::start_of(first) < from {
        first = rollup::next_month(first);
    }
    let end = rollup::month_of(to);
    let (whole_from, whole_to) = (rollup::start_of(first), rollup::start_of(end));
    if first < end {
        if from < whole_from {
            let earliest = earliest(conn, from)?;
            scan(
                conn,
                &mut p,
                Window {
                    from,
                    to: whole_from,
                    scope,
                    earliest,
                },
            )?;
        }
        months(conn, &mut p, scope, (first, end))?;
        if whole_to < to {
            let earliest = earliest(conn, whole_to)?;
            scan(
                conn,
                &mut p,
                Window {
                    from: whole_to,
                    to,
                    scope,
                    earliest,
                },
            )?;
        }
    } else {
        let earliest = earliest(conn, from)?;
        scan(
            conn,
            &mut p,
            Window {
                from,
                to,
                scope,
                earliest,
            },
        )?;
    }
    let earliest = earliest(conn, from)?;
    add_allocation_captures(
        conn,
        &mut p,
        Window {
            from,
            to,
            scope,
            earliest,
        },
    )?;
    add_blackouts(conn, &mut p, (from, to))?;
    Ok(p)
}

/// Adds the uses and endings of one stretch of days, read from the uses themselves.
fn scan(conn: &mut DbConnection, p: &mut Period, w: Window) -> QueryResult<()> {
    let span = Span::new(w.from.and_utc(), w.to.and_utc());
    for source in [booked(), ran()] {
        let source = source.as_str();
        for s in rows::<Summed>(conn, &summed(source), w)? {
            p.add(s.key(), s.sum());
        }
        for e in rows::<Edge>(conn, &edges(source), w)? {
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
        }
        for u in rows::<UserOf>(conn, &users(source), w)? {
            p.users.entry(u.resource_id).or_default().insert(u.user_key);
        }
    }
    let sql = endings_sql(conn);
    for e in rows::<Ended>(conn, &sql, w)? {
        p.add_endings(e.resource_id, e.endings());
    }
    Ok(())
}

/// Adds whole months `[first, end)` from the monthly totals.
fn months(
    conn: &mut DbConnection,
    p: &mut Period,
    scope: Scope,
    (first, end): (chrono::NaiveDate, chrono::NaiveDate),
) -> QueryResult<()> {
    let (a, b) = (rollup::month_key(first), rollup::month_key(end));
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let scoped = |sql: String| {
        let sql = sql.replace("{IN_SCOPE}", &in_scope(3, 4));
        if sqlite { sql.replace('$', "?") } else { sql }
    };
    let run = |sql: String| {
        diesel::sql_query(scoped(sql))
            .bind::<Text, _>(a.clone())
            .bind::<Text, _>(b.clone())
            .bind::<BigInt, _>(scope.institution.unwrap_or(-1))
            .bind::<BigInt, _>(scope.resource.unwrap_or(-1))
    };
    let sums: Vec<Summed> = run(
        "SELECT resource_id, organization_id, NULLIF(voucher_id, 0) AS voucher_id, \
         CAST(SUM(unit_minutes) AS BIGINT) AS unit_minutes, CAST(SUM(fee_fen) AS BIGINT) AS fee_fen, \
         CAST(SUM(voucher_fen) AS BIGINT) AS voucher_fen, CAST(SUM(uses) AS BIGINT) AS uses \
         FROM use_months WHERE month >= $1 AND month < $2 AND resource_id {IN_SCOPE} \
         GROUP BY resource_id, organization_id, voucher_id"
            .to_owned(),
    )
    .load(conn)?;
    for s in sums {
        p.add(s.key(), s.sum());
    }
    let users: Vec<UserOf> = run("SELECT DISTINCT resource_id, user_key FROM user_months \
         WHERE month >= $1 AND month < $2 AND resource_id {IN_SCOPE}"
        .to_owned())
    .load(conn)?;
    for u in users {
        p.users.entry(u.resource_id).or_default().insert(u.user_key);
    }
    let endings: Vec<Ended> = run(
        "SELECT resource_id, CAST(SUM(due) AS BIGINT) AS due, CAST(SUM(no_shows) AS BIGINT) AS no_shows, \
         CAST(SUM(late_cancels) AS BIGINT) AS late_cancels FROM ending_months \
         WHERE month >= $1 AND month < $2 AND resource_id {IN_SCOPE} GROUP BY resource_id"
            .to_owned(),
    )
    .load(conn)?;
    for e in endings {
        p.add_endings(e.resource_id, e.endings());
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Captured {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = BigInt)]
    organization_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    voucher_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    voucher_fen: i64,
}

/// What vouchers paid for computing allocations in the period (captured as usage was recorded).
fn add_allocation_captures(conn: &mut DbConnection, p: &mut Period, w: Window) -> QueryResult<()> {
    let sql = format!(
        "SELECT a.resource_id, a.organization_id, a.voucher_id, \
         CAST(SUM(l.amount_fen) AS BIGINT) AS voucher_fen \
         FROM voucher_ledger l JOIN allocations a ON a.id = l.allocation_id \
         WHERE l.movement = 'capture' AND l.at >= $1 AND l.at < $2 AND l.at >= $3 \
         AND a.resource_id {} GROUP BY a.resource_id, a.organization_id, a.voucher_id",
        in_scope(4, 5)
    );
    for c in rows::<Captured>(conn, &sql, w)? {
        let key = Key {
            resource: c.resource_id,
            organization: c.organization_id,
            voucher: c.voucher_id,
        };
        let sum = Sum {
            voucher_fen: c.voucher_fen,
            ..Sum::default()
        };
        p.add(key, sum);
    }
    Ok(())
}

fn add_blackouts(
    conn: &mut DbConnection,
    p: &mut Period,
    (from, to): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<()> {
    use crate::db::schema::blackouts as bl;
    let rows: Vec<(i64, NaiveDateTime, NaiveDateTime)> = bl::table
        .filter(bl::start_at.lt(to))
        .filter(bl::end_at.gt(from))
        .select((bl::resource_id, bl::start_at, bl::end_at))
        .load(conn)?;
    for (resource, start, end) in rows {
        let span = Span::new(start.and_utc(), end.and_utc());
        p.blackouts.entry(resource).or_default().push(span);
    }
    Ok(())
}
