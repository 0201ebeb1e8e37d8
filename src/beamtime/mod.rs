//! Beamtime calls at major facilities (see `crate::domain::beamtime` for the rules): a facility's
//! manager opens a call with the shifts on offer, bookers propose, reviewers of other
//! organisations score the proposals, and the manager allocates the shifts, which become
//! bookings in one transaction and a decision mailed to every proposer.

pub mod allocate;
pub mod calls;
pub mod proposals;
pub mod reviews;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::DbConnection;
use crate::db::beamtime::proposals::{self as store, ProposalRow};
use crate::db::beamtime::{self as calls_store, CallRow, ShiftRow};
use crate::domain::actor::Actor;
use crate::domain::beamtime::{self as rules, CallDates, Phase};
use crate::domain::types::Role;
use crate::error::ServiceError;

/// A list kept as a JSON array; a row that cannot be read reads as empty.
pub fn list_of<T: DeserializeOwned>(json: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_default()
}

fn json_of<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

pub fn dates_of(call: &CallRow) -> CallDates {
    CallDates {
        opens_at: call.opens_at.and_utc(),
        closes_at: call.closes_at.and_utc(),
        reviews_due_at: call.reviews_due_at.and_utc(),
        beam_from: call.beam_from.and_utc(),
        beam_to: call.beam_to.and_utc(),
    }
}

pub fn phase_of(call: &CallRow, now: DateTime<Utc>) -> Phase {
    Phase::of(&dates_of(call), call.allocated_at.is_some(), now)
}

/// True when `actor` runs `call`: an admin, or a manager of its institution.
pub fn runs(actor: &Actor, call: &CallRow) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Manager => actor.org.map(|o| o.0) == Some(call.organization_id),
        _ => false,
    }
}

pub fn find_call(conn: &mut DbConnection, id: i64) -> Result<CallRow, ServiceError> {
    calls_store::find_call(conn, id)?.ok_or_else(|| ServiceError::not_found("beamtime call"))
}

/// How the caller stands to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Runs the call: sees scores, reviewers and reviews.
    Staff,
    /// Was assigned to review it.
    Reviewer,
    /// Submitted it.
    Proposer,
}

/// A proposal with its call, loaded for a caller allowed to see it; anyone else gets 404.
pub struct Seen {
    pub proposal: ProposalRow,
    pub call: CallRow,
    pub standing: Standing,
}

pub fn seen(conn: &mut DbConnection, actor: &Actor, id: i64) -> Result<Seen, ServiceError> {
    let missing = || ServiceError::not_found("beamtime proposal");
    let proposal = store::find(conn, id)?.ok_or_else(missing)?;
    let call = find_call(conn, proposal.call_id)?;
    let standing = if runs(actor, &call) {
        Standing::Staff
    } else if proposal.proposer_id == actor.id.0 {
        Standing::Proposer
    } else if store::assignments(conn, &[id])?
        .iter()
        .any(|(_, r)| *r == actor.id.0)
    {
        Standing::Reviewer
    } else {
        return Err(missing());
    };
    Ok(Seen {
        proposal,
        call,
        standing,
    })
}

/// What the call's staff see of a proposal besides what its proposer sees.
#[derive(Debug, Clone)]
pub struct Standings {
    pub score: Option<f64>,
    /// 1 for the best.
    pub rank: usize,
    pub reviewer_ids: Vec<i64>,
    pub reviews: usize,
}

/// A proposal as shown: the shifts it was given and, for the call's staff, its standing.
pub struct Shown {
    pub proposal: ProposalRow,
    pub shifts: Vec<ShiftRow>,
    pub standings: Option<Standings>,
}

/// The call's proposals, best first, each with its score, rank, reviewers and review count.
pub fn ranked(conn: &mut DbConnection, call: &CallRow) -> Result<Vec<Shown>, ServiceError> {
    let proposals = store::of_call(conn, call.id)?;
    let ids: Vec<i64> = proposals.iter().map(|p| p.id).collect();
    let reviews = store::reviews(conn, &ids)?;
    let assigned = store::assignments(conn, &ids)?;
    let shifts = calls_store::shifts_of(conn, call.id)?;
    let mut ranking: Vec<rules::Proposal> = proposals
        .iter()
        .map(|p| {
            let scores: Vec<rules::Scores> = reviews
                .iter()
                .filter(|r| r.proposal_id == p.id)
                .map(|r| list_of(&r.scores))
                .collect();
            rule_view(p, rules::score(&scores))
        })
        .collect();
    rules::rank(&mut ranking);
    let mut shown = Vec::with_capacity(ranking.len());
    for (place, r) in ranking.iter().enumerate() {
        let Some(p) = proposals.iter().find(|p| p.id == r.id) else {
            continue;
        };
        shown.push(Shown {
            proposal: p.clone(),
            shifts: given_to(&shifts, p.id),
            standings: Some(Standings {
                score: r.score,
                rank: place + 1,
                reviewer_ids: pairs_for(&assigned, p.id),
                reviews: reviews.iter().filter(|v| v.proposal_id == p.id).count(),
            }),
        });
    }
    Ok(shown)
}

/// A proposal as the ranking and the allocation rules see it.
pub fn rule_view(p: &ProposalRow, score: Option<f64>) -> rules::Proposal {
    rules::Proposal {
        id: p.id,
        resource: p.resource_id,
        shifts_requested: p.shifts_requested,
        unavailable: list_of(&p.unavailable_dates).into_iter().collect(),
        score,
        submitted_at: p.submitted_at.and_utc(),
    }
}

fn pairs_for(pairs: &[(i64, i64)], proposal: i64) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(p, _)| *p == proposal)
        .map(|(_, r)| *r)
        .collect()
}

fn given_to(shifts: &[ShiftRow], proposal: i64) -> Vec<ShiftRow> {
    shifts
        .iter()
        .filter(|s| s.proposal_id == Some(proposal))
        .cloned()
        .collect()
}

/// One proposal as `standing` sees it: with its standings for the call's staff.
pub fn shown(conn: &mut DbConnection, s: Seen) -> Result<Shown, ServiceError> {
    if s.standing == Standing::Staff {
        let mut all = ranked(conn, &s.call)?;
        if let Some(i) = all.iter().position(|p| p.proposal.id == s.proposal.id) {
            return Ok(all.swap_remove(i));
        }
    }
    let shifts = calls_store::shifts_of(conn, s.call.id)?;
    Ok(Shown {
        shifts: given_to(&shifts, s.proposal.id),
        proposal: s.proposal,
        standings: None,
    })
}

/// The proposals of a call the caller may see: all, ranked, for its staff; those assigned to a
/// reviewer; a booker's own.
pub fn visible_proposals(
    conn: &mut DbConnection,
    actor: &Actor,
    call: &CallRow,
) -> Result<Vec<Shown>, ServiceError> {
    if runs(actor, call) {
        return ranked(conn, call);
    }
    let all = store::of_call(conn, call.id)?;
    let ids: Vec<i64> = all.iter().map(|p| p.id).collect();
    let assigned = store::assignments(conn, &ids)?;
    let shifts = calls_store::shifts_of(conn, call.id)?;
    Ok(all
        .into_iter()
        .filter(|p| p.proposer_id == actor.id.0 || assigned.contains(&(p.id, actor.id.0)))
        .map(|p| Shown {
            shifts: given_to(&shifts, p.id),
            proposal: p,
            standings: None,
        })
        .collect())
}

/// A call as shown: its shifts, and its reviewers for its staff.
pub struct CallShown {
    pub call: CallRow,
    pub shifts: Vec<ShiftRow>,
    /// `Some` for the call's staff.
    pub reviewers: Option<Vec<i64>>,
}

/// Call `id` with its shifts, as `actor` may see it; every signed-in user sees a call.
pub fn call_shown(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
) -> Result<CallShown, ServiceError> {
    let call = find_call(conn, id)?;
    let shifts = calls_store::shifts_of(conn, id)?;
    let reviewers = match runs(actor, &call) {
        true => Some(calls_store::reviewers_of(conn, id)?),
        false => None,
    };
    Ok(CallShown {
        call,
        shifts,
        reviewers,
    })
}
