//! The allocation: the call's manager gives its shifts to proposals, after the review deadline
//! and once. In one transaction the allocation is checked against the rules, each shift given
//! becomes a confirmed booking of its proposer (taking the resource's lock like any booking, in
//! resource order), every proposal is decided and every proposer is told the decision, those
//! not allocated with the reason.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::proposals::zone_of;
use super::{Shown, find_call, phase_of, ranked, rule_view, runs};
use crate::booking::allocated::book_shift;
use crate::booking::create::Failure;
use crate::db::DbConnection;
use crate::db::beamtime::proposals::{self as store, ProposalRow};
use crate::db::beamtime::{self as calls_store, CallRow, ShiftRow};
use crate::domain::actor::Actor;
use crate::domain::availability::Span;
use crate::domain::beamtime::{self as rules, Phase, Shift};
use crate::domain::ids::{OrganizationId, ResourceId, UserId};
use crate::domain::text_fits;
use crate::error::{ErrorCode, ServiceError};

/// The shift ids given to each proposal.
type Allocation = BTreeMap<i64, Vec<i64>>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub allocations: Vec<Given>,
}

/// The shifts given to one proposal (none to decline it), and what to tell its proposer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Given {
    pub proposal_id: i64,
    #[serde(default)]
    pub shift_ids: Vec<i64>,
    pub reason: Option<String>,
}

/// Allocates call `id` as `d` says; proposals it does not name are not allocated.
pub fn allocate(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    d: Draft,
    now: DateTime<Utc>,
) -> Result<Vec<Shown>, ServiceError> {
    calls_store::lock_call(conn, id)?;
    let call = find_call(conn, id)?;
    if !runs(user, &call) {
        return Err(ServiceError::forbidden(
            "a call's shifts are allocated by its institution's managers",
        ));
    }
    ready(&call, now)?;
    let standing = ranked(conn, &call)?;
    let shifts = calls_store::shifts_of(conn, call.id)?;
    let given = checked(conn, (&standing, &shifts), &d)?;
    let proposals: BTreeMap<i64, &ProposalRow> = standing
        .iter()
        .map(|s| (s.proposal.id, &s.proposal))
        .collect();
    let mut order: Vec<(&ShiftRow, i64)> = given
        .iter()
        .flat_map(|(p, ids)| ids.iter().map(move |s| (s, *p)))
        .filter_map(|(s, p)| shifts.iter().find(|r| r.id == *s).map(|r| (r, p)))
        .collect();
    // Locks are taken in resource order, as every multi-resource writer does.
    order.sort_by_key(|(s, _)| (s.resource_id, s.start_at));
    for (shift, p) in order {
        let proposal = proposals[&p];
        book(conn, user, (&call, proposal), shift, now)?;
    }
    let reasons: BTreeMap<i64, &str> = d
        .allocations
        .iter()
        .filter_map(|g| g.reason.as_deref().map(|r| (g.proposal_id, r.trim())))
        .collect();
    decide_all(conn, (&standing, &given, &reasons), now)?;
    calls_store::mark_allocated(conn, call.id, now.naive_utc())?;
    let change = crate::audit::Change {
        subject: ("beam_call", call.id),
        action: "beam_call.allocated",
        owner: Some(call.organization_id),
        party: None,
        reason: None,
    };
    let after = serde_json::json!({ "allocations": given });
    crate::audit::record(
        conn,
        user,
        change,
        (None::<&()>, Some(&after)),
        now.naive_utc(),
    )?;
    let decided = ranked(conn, &call)?;
    for s in &decided {
        let tz = zone_of(conn, s.proposal.resource_id)?;
        let given = reasons.get(&s.proposal.id).copied();
        crate::notify::beamtime::decided(conn, &call, s, (tz, given))?;
    }
    Ok(decided)
}

/// Refuses an allocation before the review deadline or after the call was allocated.
fn ready(call: &CallRow, now: DateTime<Utc>) -> Result<(), ServiceError> {
    match phase_of(call, now) {
        Phase::Allocating => Ok(()),
        Phase::Allocated => Err(ServiceError::new(
            ErrorCode::InvalidState,
            "the call's shifts are allocated already",
        )),
        _ => Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "shifts are allocated after the review deadline, at {}",
                call.reviews_due_at.and_utc().to_rfc3339()
            ),
        )),
    }
}

/// The shift ids given to each proposal, once each is known to be the call's and the whole
/// allocation stands by the rules.
fn checked(
    conn: &mut DbConnection,
    (standing, shifts): (&[Shown], &[ShiftRow]),
    d: &Draft,
) -> Result<Allocation, ServiceError> {
    let mut ids = Allocation::new();
    let mut spans: BTreeMap<i64, Vec<Shift>> = BTreeMap::new();
    for g in &d.allocations {
        if ids.contains_key(&g.proposal_id) {
            return Err(ServiceError::invalid_field(
                "allocations",
                format!("proposal {} is named twice", g.proposal_id),
            ));
        }
        if g.reason.as_deref().is_some_and(|r| !text_fits(r, 2000)) {
            return Err(ServiceError::invalid_field(
                "allocations",
                "a reason is 1 to 2000 characters, without control characters",
            ));
        }
        let mut given = Vec::new();
        for sid in &g.shift_ids {
            let s = shifts.iter().find(|s| s.id == *sid).ok_or_else(|| {
                ServiceError::invalid_field(
                    "allocations",
                    format!("shift {sid} is not one of the call's"),
                )
            })?;
            given.push(shift_of(s));
        }
        ids.insert(g.proposal_id, g.shift_ids.clone());
        spans.insert(g.proposal_id, given);
    }
    let offered: Vec<Shift> = shifts.iter().map(shift_of).collect();
    let proposals: Vec<rules::Proposal> = standing
        .iter()
        .map(|s| rule_view(&s.proposal, s.standings.as_ref().and_then(|x| x.score)))
        .collect();
    let zones = zones(conn, shifts)?;
    let day_of = |s: &Shift| -> NaiveDate {
        let tz = zones
            .get(&s.resource)
            .copied()
            .unwrap_or(chrono_tz::Asia::Shanghai);
        s.start.with_timezone(&tz).date_naive()
    };
    rules::check_allocation(&offered, &proposals, &spans, day_of)
        .map_err(|e| ServiceError::invalid_field("allocations", e.to_string()))?;
    Ok(ids)
}

fn zones(
    conn: &mut DbConnection,
    shifts: &[ShiftRow],
) -> Result<BTreeMap<i64, chrono_tz::Tz>, ServiceError> {
    let resources: BTreeSet<i64> = shifts.iter().map(|s| s.resource_id).collect();
    resources
        .into_iter()
        .map(|r| Ok((r, zone_of(conn, r)?)))
        .collect()
}

fn shift_of(s: &ShiftRow) -> Shift {
    Shift {
        resource: s.resource_id,
        start: s.start_at.and_utc(),
        end: s.end_at.and_utc(),
    }
}

/// Books one shift for its proposal's proposer and records it as given.
fn book(
    conn: &mut DbConnection,
    user: &Actor,
    (call, p): (&CallRow, &ProposalRow),
    shift: &ShiftRow,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let span = Span::new(shift.start_at.and_utc(), shift.end_at.and_utc());
    let why = format!("allocated by beamtime call {}", call.id);
    let purpose = format!("Beamtime: {}", p.title);
    let row = book_shift(
        conn,
        user,
        (ResourceId(shift.resource_id), span),
        (UserId(p.proposer_id), OrganizationId(p.organization_id)),
        (&purpose, &why),
        now,
    )
    .map_err(|f| taken(f, shift))?;
    calls_store::give_shift(conn, shift.id, (p.id, row.id))?;
    Ok(())
}

/// The answer when a shift cannot be booked: whatever is in the way, and nothing written.
fn taken(f: Failure, shift: &ShiftRow) -> ServiceError {
    let start = shift.start_at.and_utc().to_rfc3339();
    match f {
        Failure::Conflict(spans) => {
            let listed: Vec<serde_json::Value> = spans
                .iter()
                .map(|s| serde_json::json!({"start": s.start.to_rfc3339(), "end": s.end.to_rfc3339()}))
                .collect();
            ServiceError::new(
                ErrorCode::SlotUnavailable,
                format!(
                    "shift {} of resource {} from {start} is booked already; give another shift or free it first",
                    shift.id, shift.resource_id
                ),
            )
            .with_extra("conflicts", listed)
        }
        Failure::Closed(e) | Failure::Service(e) => e,
    }
}

/// Records each proposal's decision: allocated with the shifts it was given, or not, with the
/// manager's reason or one that says where it ranked.
fn decide_all(
    conn: &mut DbConnection,
    (standing, given, reasons): (&[Shown], &Allocation, &BTreeMap<i64, &str>),
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let n = standing.len();
    for (place, s) in standing.iter().enumerate() {
        let id = s.proposal.id;
        let allocated = given.get(&id).is_some_and(|g| !g.is_empty());
        let score = s.standings.as_ref().and_then(|x| x.score);
        let reason = match reasons.get(&id) {
            Some(r) => Some((*r).to_owned()),
            None if allocated => None,
            None => Some(default_reason(place + 1, n, score)),
        };
        let decision = if allocated {
            "allocated"
        } else {
            "not_allocated"
        };
        store::decide(conn, id, (decision, reason.as_deref()), now.naive_utc())?;
    }
    Ok(())
}

/// Why a proposal the manager gave no reason for was not allocated.
pub fn default_reason(rank: usize, of: usize, score: Option<f64>) -> String {
    match score {
        Some(s) => format!(
            "it ranked {rank} of {of} with a mean score of {s:.2}; the shifts on offer went to proposals ranked higher"
        ),
        None => {
            "no reviewer scored it, and the shifts on offer went to reviewed proposals".to_owned()
        }
    }
}
