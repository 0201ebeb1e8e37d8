//! A period's recorded use for every resource in a fixed handful of queries, however many
//! resources there are: its whole months from the monthly totals (`totals`), the days before and
//! after them from the uses themselves (`scan`), what vouchers paid allocations, and blackouts.

mod scan;
pub mod totals;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::DbConnection;
use crate::db::dialect::{for_backend, translate};
use crate::domain::availability::Span;
use crate::domain::months;
use crate::domain::sharing::{Endings, Tally};

/// Which resources a report covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    /// Only this institution's resources (a manager's report).
    pub institution: Option<i64>,
    /// Only large instruments by the national (or Shanghai's) threshold.
    pub large_only: bool,
    /// Only this resource (a chart of one instrument).
    pub resource: Option<i64>,
}

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

    pub(super) fn add_endings(&mut self, resource: i64, e: Endings) {
        let mine = self.endings.entry(resource).or_default();
        mine.due += e.due;
        mine.no_shows += e.no_shows;
        mine.late_cancels += e.late_cancels;
    }

    pub(super) fn add(&mut self, key: Key, sum: Sum) {
        // Saturating: a report answers on whatever is stored.
        let s = self.sums.entry(key).or_default();
        s.unit_minutes = s.unit_minutes.saturating_add(sum.unit_minutes);
        s.fee_fen = s.fee_fen.saturating_add(sum.fee_fen);
        s.voucher_fen = s.voucher_fen.saturating_add(sum.voucher_fen);
        s.uses = s.uses.saturating_add(sum.uses);
    }
}

/// The longest use ever recorded on any resource, in minutes: how far before a stretch of days a
/// use running into it may have begun.
fn longest(conn: &mut DbConnection) -> QueryResult<i64> {
    use crate::db::schema::use_bounds as u;
    let longest: Option<i64> = u::table
        .select(diesel::dsl::max(u::longest_use_min))
        .first(conn)?;
    Ok(longest.unwrap_or(0))
}

/// The resources a query counts: the `$i`th parameter an institution and the `$r`th one resource,
/// each -1 for any.
pub(super) fn in_scope(i: usize, r: usize) -> String {
    format!(
        "IN (SELECT id FROM resources WHERE (${i} IS NULL OR organization_id = ${i}) AND (${r} IS NULL OR id = ${r}))"
    )
}

/// Runs a query of these modules: `$n` placeholders (PostgreSQL's, rewritten as `?n` for SQLite)
/// bound to `times` in order, then the scope's institution and resource.
pub(super) fn run<T>(
    conn: &mut DbConnection,
    sql: &str,
    times: &[NaiveDateTime],
    scope: Scope,
) -> QueryResult<Vec<T>>
where
    T: diesel::deserialize::QueryableByName<<DbConnection as diesel::Connection>::Backend>
        + 'static,
{
    type Backend = <DbConnection as diesel::Connection>::Backend;
    let sql = for_backend(conn, sql);
    let mut query = diesel::sql_query(sql).into_boxed::<Backend>();
    for t in times {
        query = query.bind::<Timestamp, _>(*t);
    }
    query
        .bind::<Nullable<BigInt>, _>(scope.institution)
        .bind::<Nullable<BigInt>, _>(scope.resource)
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
struct UserOf {
    #[diesel(sql_type = BigInt)]
    resource_id: i64,
    #[diesel(sql_type = Text)]
    user_key: String,
}

/// How a resource's bookings due in a stretch ended, as a query returns it.
#[derive(QueryableByName)]
pub(super) struct Ended {
    #[diesel(sql_type = BigInt)]
    pub(super) resource_id: i64,
    #[diesel(sql_type = BigInt)]
    due: i64,
    #[diesel(sql_type = BigInt)]
    no_shows: i64,
    #[diesel(sql_type = BigInt)]
    late_cancels: i64,
}

impl Ended {
    pub(super) fn endings(&self) -> Endings {
        Endings {
            due: self.due,
            no_shows: self.no_shows,
            late_cancels: self.late_cancels,
        }
    }
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
    let longest = longest(conn)?;
    let mut first = months::month_of(from);
    if months::start_of(first) < from {
        first = months::next_month(first);
    }
    let end = months::month_of(to);
    let (whole_from, whole_to) = (months::start_of(first), months::start_of(end));
    if first < end {
        if from < whole_from {
            scan::stretch(conn, &mut p, (from, whole_from), scope, longest)?;
        }
        months(conn, &mut p, scope, (first, end))?;
        if whole_to < to {
            scan::stretch(conn, &mut p, (whole_to, to), scope, longest)?;
        }
    } else {
        scan::stretch(conn, &mut p, (from, to), scope, longest)?;
    }
    add_allocation_captures(conn, &mut p, (from, to), scope)?;
    add_blackouts(conn, &mut p, (from, to))?;
    Ok(p)
}

/// Adds whole months `[first, end)` from the monthly totals.
fn months(
    conn: &mut DbConnection,
    p: &mut Period,
    scope: Scope,
    (first, end): (chrono::NaiveDate, chrono::NaiveDate),
) -> QueryResult<()> {
    let (a, b) = (months::month_key(first), months::month_key(end));
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let scoped = |sql: String| translate(&sql.replace("{IN_SCOPE}", &in_scope(3, 4)), sqlite);
    let run = |sql: String| {
        diesel::sql_query(scoped(sql))
            .bind::<Text, _>(a.clone())
            .bind::<Text, _>(b.clone())
            .bind::<Nullable<BigInt>, _>(scope.institution)
            .bind::<Nullable<BigInt>, _>(scope.resource)
    };
    let sums: Vec<Summed> = run(
        "SELECT resource_id, organization_id, NULLIF(voucher_id, 0) AS voucher_id, \
         SAFE_SUM(unit_minutes) AS unit_minutes, SAFE_SUM(fee_fen) AS fee_fen, \
         SAFE_SUM(voucher_fen) AS voucher_fen, SAFE_SUM(uses) AS uses \
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
fn add_allocation_captures(
    conn: &mut DbConnection,
    p: &mut Period,
    (from, to): (NaiveDateTime, NaiveDateTime),
    scope: Scope,
) -> QueryResult<()> {
    let sql = format!(
        "SELECT a.resource_id, a.organization_id, a.voucher_id, \
         SAFE_SUM(l.amount_fen) AS voucher_fen \
         FROM voucher_ledger l JOIN allocations a ON a.id = l.allocation_id \
         WHERE l.movement = 'capture' AND l.at >= $1 AND l.at < $2 \
         AND a.resource_id {} GROUP BY a.resource_id, a.organization_id, a.voucher_id",
        in_scope(3, 4)
    );
    for c in run::<Captured>(conn, &sql, &[from, to], scope)? {
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

/// The province of every organisation, and of every voucher's issuing programme.
pub fn provinces(
    conn: &mut DbConnection,
) -> QueryResult<(HashMap<i64, String>, HashMap<i64, String>)> {
    use crate::db::schema::{
        jurisdictions as j, organizations as o, voucher_programs as vp, vouchers as v,
    };
    let orgs = o::table
        .inner_join(j::table)
        .select((o::id, j::province))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let issuers = v::table
        .inner_join(vp::table)
        .select((v::id, vp::issuer_province))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok((orgs, issuers))
}
