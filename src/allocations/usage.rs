//! Recording computing usage: each job is matched to its account's allocation, draws it down
//! (beyond it, as overage), is charged at the allocation's rate, and the voucher pays its share of
//! the use within the allocation. A file (or posted batch) seen before is refused whole; a job
//! already recorded is skipped. Everything is written in one transaction, or nothing is.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{day_start, tz};
use crate::booking::payment;
use crate::db::DbConnection;
use crate::db::allocations::{self as store, AllocationRow, NewImport, NewRecord};
use crate::db::resources::{self, ResourceView};
use crate::domain::Issue;
use crate::domain::actor::Actor;
use crate::domain::allocation::{self as rules, Job, Parsed, Standing, Use};
use crate::domain::ids::{AllocationId, ResourceId};
use crate::domain::money::{add_fees, fee_for, gross_fee};
use crate::domain::types::AllocationState;
use crate::domain::types::ResourceKind;
use crate::error::{ErrorCode, ServiceError};

/// What one import did to one allocation.
#[derive(Debug, Clone, Serialize)]
pub struct Drawn {
    pub allocation_id: i64,
    pub records: usize,
    pub unit_hours: f64,
    pub overage_unit_hours: f64,
    pub fee_fen: i64,
    pub voucher_captured_fen: i64,
}

/// What an import recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub import_id: i64,
    pub resource_id: i64,
    pub records: usize,
    pub skipped_duplicates: usize,
    pub allocations: Vec<Drawn>,
}

/// Where a batch came from: the digest of its bytes and `csv` or `api`.
pub struct Source<'a> {
    pub digest: &'a str,
    pub kind: &'a str,
}

/// The computing resource the caller runs, for recording its usage.
pub fn staff_computing(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
) -> Result<ResourceView, ServiceError> {
    let view = resources::find(conn, ResourceId(id))?
        .ok_or_else(|| ServiceError::not_found("resource"))?;
    if !crate::booking::is_staff(conn, user, &view)? {
        return Err(ServiceError::forbidden(
            "only the resource's operators and managers record its usage",
        ));
    }
    if ResourceKind::parse(&view.row.kind) != Some(ResourceKind::Computing) {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            "usage records are for computing resources; record instrument use by check-in and check-out",
        ));
    }
    Ok(view)
}

/// Each job's position in the batch with the allocation it draws from.
type Matched = Vec<(usize, AllocationRow)>;

/// The allocation each finished job draws from: its account's, approved (or ended), whose period
/// holds the job's start in the resource's zone. Jobs that match none are the batch's bad lines.
fn match_jobs(
    conn: &mut DbConnection,
    view: &ResourceView,
    jobs: &[Job],
    now: DateTime<Utc>,
) -> Result<(Matched, Vec<Issue>), ServiceError> {
    let mut accounts: Vec<String> = jobs.iter().map(|j| j.account.clone()).collect();
    accounts.sort();
    accounts.dedup();
    let known = store::of_accounts(conn, view.row.id, &accounts)?;
    let zone = tz(view);
    let (mut matched, mut issues) = (Vec::new(), Vec::new());
    for (i, j) in jobs.iter().enumerate() {
        if j.end > now {
            let why = "the job ends in the future; record finished jobs only";
            issues.push(Issue::line(j.line, why));
            continue;
        }
        let day = j.start.with_timezone(&zone).date_naive();
        let covering: Vec<&AllocationRow> = known
            .iter()
            .filter(|a| a.account == j.account && a.starts_on <= day && day <= a.ends_on)
            .collect();
        match covering
            .iter()
            .find(|a| a.state != AllocationState::Pending)
        {
            Some(a) => matched.push((i, (*a).clone())),
            None => issues.push(Issue::line(
                j.line,
                match covering.first() {
                    Some(a) => format!(
                        "allocation {} of account {} is not approved yet",
                        a.id, j.account
                    ),
                    None => format!(
                        "no approved allocation of account {} covers {day}",
                        j.account
                    ),
                },
            )),
        }
    }
    Ok((matched, issues))
}

fn bad_lines(mut issues: Vec<Issue>) -> ServiceError {
    issues.sort_by_key(|i| i.line);
    let detail = format!(
        "{} line(s) cannot be recorded; nothing was recorded. Fix them and send the file again",
        issues.len()
    );
    ServiceError::new(ErrorCode::ImportFailed, detail).with_issues(issues)
}

/// Records a batch of finished jobs on a computing resource the caller runs.
pub fn record(
    conn: &mut DbConnection,
    user: &Actor,
    view: &ResourceView,
    parsed: Parsed,
    source: Source<'_>,
    now: DateTime<Utc>,
) -> Result<Summary, ServiceError> {
    refuse_duplicate(conn, view, source.digest)?;
    let Parsed { jobs, mut issues } = parsed;
    let (fresh, skipped) = split_known(conn, view, jobs)?;
    let (matched, unmatched) = match_jobs(conn, view, &fresh, now)?;
    issues.extend(unmatched);
    if !issues.is_empty() {
        return Err(bad_lines(issues));
    }
    let mut by_allocation: BTreeMap<i64, (AllocationRow, Vec<&Job>)> = BTreeMap::new();
    for (i, a) in matched {
        let entry = by_allocation.entry(a.id).or_insert_with(|| (a, Vec::new()));
        entry.1.push(&fresh[i]);
    }
    let ids: Vec<i64> = by_allocation.keys().copied().collect();
    store::lock(conn, &ids)?;
    let at = now.naive_utc();
    let new = NewImport {
        resource: view.row.id,
        digest: source.digest,
        source: source.kind,
        by: user.id.0,
        at,
    };
    let import = store::insert_import(conn, &new)?;
    let mut drawn = Vec::new();
    for (_, (a, mut jobs)) in by_allocation {
        jobs.sort_by_key(|j| (j.start, j.line));
        drawn.push(draw_down(conn, &a, view, (import.id, &jobs), (user, now))?);
    }
    store::count_import(conn, import.id, fresh.len() as i64, skipped.len() as i64)?;
    Ok(Summary {
        import_id: import.id,
        resource_id: view.row.id,
        records: fresh.len(),
        skipped_duplicates: skipped.len(),
        allocations: drawn,
    })
}

/// A 409 naming the earlier import when this exact batch was recorded before.
fn refuse_duplicate(
    conn: &mut DbConnection,
    view: &ResourceView,
    digest: &str,
) -> Result<(), ServiceError> {
    let Some(seen) = store::find_import(conn, view.row.id, digest)? else {
        return Ok(());
    };
    Err(ServiceError::new(
        ErrorCode::DuplicateImport,
        format!(
            "this exact batch was recorded as import {} at {}; nothing was counted twice",
            seen.id,
            seen.at.and_utc().to_rfc3339()
        ),
    )
    .with_extra("import_id", seen.id))
}

/// The jobs not recorded before, and those already recorded (by job id) that are skipped.
fn split_known(
    conn: &mut DbConnection,
    view: &ResourceView,
    jobs: Vec<Job>,
) -> Result<(Vec<Job>, Vec<Job>), ServiceError> {
    let ids: Vec<String> = jobs.iter().filter_map(|j| j.job_id.clone()).collect();
    let known: std::collections::HashSet<String> = store::known_jobs(conn, view.row.id, &ids)?
        .into_iter()
        .collect();
    Ok(jobs
        .into_iter()
        .partition(|j| j.job_id.as_ref().is_none_or(|id| !known.contains(id))))
}

/// Writes one allocation's new records, captures the voucher's share of its use so far and sends
/// the threshold alert it has reached (once: the outbox keeps one message per threshold).
fn draw_down(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
    (import, jobs): (i64, &[&Job]),
    (user, now): (&Actor, DateTime<Utc>),
) -> Result<Drawn, ServiceError> {
    // Re-read under the lock: an import running alongside may have drawn it down meanwhile.
    let a = store::find(conn, AllocationId(a.id))?
        .ok_or_else(|| ServiceError::internal("allocation vanished"))?;
    let before = used(conn, &a, now)?;
    let granted = a.granted_unit_hours.unwrap_or(0);
    let minutes: Vec<i64> = jobs.iter().map(|j| j.unit_minutes).collect();
    let overage = rules::draw(granted * 60 - before.within_minutes, &minutes);
    let rows = new_records(&a, import, jobs, &overage)?;
    let mut after = before;
    for r in &rows {
        after.within_minutes += r.unit_minutes - r.overage_minutes;
        after.overage_minutes += r.overage_minutes;
        after.fee_fen = add_fees(after.fee_fen, r.fee_fen, "unit_hours").map_err(|_| {
            let why = "unit_hours: with this job the allocation's fees would pass what the \
                       service can record";
            bad_lines(vec![Issue::line(r.line as u64, why)])
        })?;
    }
    store::insert_records(conn, &rows)?;
    crate::db::reports::totals::jobs_recorded(conn, &a, &rows)?;
    let captured = match a.voucher_id {
        Some(voucher) => {
            let covered = fee_for(a.rate_fen, 1, after.within_minutes, "unit_hours")?;
            let by = (Some(user.id), now.naive_utc());
            payment::capture_allocation(conn, voucher, a.id, covered, by)?
        }
        None => 0,
    };
    let total = after.within_minutes + after.overage_minutes;
    if let Some(level) = rules::threshold_reached(granted, total) {
        crate::notify::allocations::threshold(conn, &a, view, level, now.naive_utc())?;
        crate::webhooks::allocations::threshold(conn, (&a, view), level, now.naive_utc())?;
    }
    let minutes = |m: i64| (m as f64 / 60.0 * 100.0).round() / 100.0;
    Ok(Drawn {
        allocation_id: a.id,
        records: rows.len(),
        unit_hours: minutes(after.within_minutes - before.within_minutes),
        overage_unit_hours: minutes(after.overage_minutes - before.overage_minutes),
        fee_fen: after.fee_fen - before.fee_fen,
        voucher_captured_fen: captured,
    })
}

/// The rows for an allocation's jobs, each with the minutes of it beyond the grant; a job whose
/// fee would not fit is a bad line.
fn new_records(
    a: &AllocationRow,
    import: i64,
    jobs: &[&Job],
    overage: &[i64],
) -> Result<Vec<NewRecord>, ServiceError> {
    let mut rows = Vec::with_capacity(jobs.len());
    for (j, over) in jobs.iter().zip(overage) {
        let fee_fen = gross_fee(a.rate_fen, 1, j.unit_minutes).ok_or_else(|| {
            let why = "unit_hours: the job's fee is beyond what the service can record";
            bad_lines(vec![Issue::line(j.line, why)])
        })?;
        rows.push(NewRecord {
            import_id: import,
            line: j.line as i64,
            resource_id: a.resource_id,
            allocation_id: a.id,
            job_id: j.job_id.clone(),
            account: j.account.clone(),
            user_name: j.user.clone(),
            started_at: j.start.naive_utc(),
            ended_at: j.end.naive_utc(),
            units: j.units,
            unit_minutes: j.unit_minutes,
            overage_minutes: *over,
            fee_fen,
        });
    }
    Ok(rows)
}

/// An allocation's use so far, and in the burn-rate window before `now`.
pub fn used(
    conn: &mut DbConnection,
    a: &AllocationRow,
    now: DateTime<Utc>,
) -> Result<Use, ServiceError> {
    let recent_from = (now - Duration::days(rules::BURN_WINDOW_DAYS)).naive_utc();
    Ok(store::drawn(conn, a.id, recent_from)?)
}

/// Balance and burn rate of an approved (or ended) allocation; none before approval.
pub fn standing(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
    now: DateTime<Utc>,
) -> Result<Option<Standing>, ServiceError> {
    let Some(granted) = a.granted_unit_hours else {
        return Ok(None);
    };
    let use_ = used(conn, a, now)?;
    let start = day_start(a.starts_on, tz(view));
    Ok(Some(rules::standing(granted, use_, start, now, tz(view))))
}

/// What the allocation's voucher has paid so far, from its ledger.
pub fn captured(conn: &mut DbConnection, a: &AllocationRow) -> Result<i64, ServiceError> {
    let Some(voucher) = a.voucher_id else {
        return Ok(0);
    };
    let rows = crate::db::vouchers::ledger_rows(conn, voucher)?;
    let ledger = crate::db::vouchers::ledger(&rows);
    Ok(ledger.captured_from(crate::domain::ledger::Claim::Allocation(a.id)))
}
