//! Beamtime calls, their shifts, proposals and reviews on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::beamtime::proposals::{Member, team_of};
use crate::beamtime::{Shown, list_of, phase_of};
use crate::db::beamtime::proposals::ReviewRow;
use crate::db::beamtime::{CallRow, ShiftRow};
use crate::domain::beamtime::Phase;

#[derive(Debug, Serialize)]
pub struct CallSummary {
    pub id: i64,
    pub institution_id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub description: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub reviews_due_at: DateTime<Utc>,
    pub beam_from: DateTime<Utc>,
    pub beam_to: DateTime<Utc>,
    pub criteria: Vec<String>,
    pub phase: Phase,
    pub allocated_at: Option<DateTime<Utc>>,
}

impl CallSummary {
    pub fn of(c: CallRow, now: DateTime<Utc>) -> CallSummary {
        CallSummary {
            phase: phase_of(&c, now),
            criteria: list_of(&c.criteria),
            id: c.id,
            institution_id: c.organization_id,
            title_en: c.title_en,
            title_zh: c.title_zh,
            description: c.description,
            opens_at: c.opens_at.and_utc(),
            closes_at: c.closes_at.and_utc(),
            reviews_due_at: c.reviews_due_at.and_utc(),
            beam_from: c.beam_from.and_utc(),
            beam_to: c.beam_to.and_utc(),
            allocated_at: c.allocated_at.map(|t| t.and_utc()),
        }
    }
}

/// A call with its shifts; its reviewers and who was given each shift only for its staff.
#[derive(Debug, Serialize)]
pub struct Call {
    #[serde(flatten)]
    pub call: CallSummary,
    pub shifts: Vec<Shift>,
    pub reviewer_ids: Option<Vec<i64>>,
}

#[derive(Debug, Serialize)]
pub struct Shift {
    pub id: i64,
    pub resource_id: i64,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub allocated: bool,
    pub proposal_id: Option<i64>,
    pub booking_id: Option<i64>,
}

impl Shift {
    /// The shift, naming its proposal and booking when `open`.
    pub fn of(s: ShiftRow, open: bool) -> Shift {
        Shift {
            id: s.id,
            resource_id: s.resource_id,
            start_at: s.start_at.and_utc(),
            end_at: s.end_at.and_utc(),
            allocated: s.proposal_id.is_some(),
            proposal_id: s.proposal_id.filter(|_| open),
            booking_id: s.booking_id.filter(|_| open),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Proposal {
    pub id: i64,
    pub call_id: i64,
    pub resource_id: i64,
    pub proposer_id: i64,
    pub organization_id: i64,
    pub title: String,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub shifts_requested: i64,
    pub preferred_dates: Vec<NaiveDate>,
    pub unavailable_dates: Vec<NaiveDate>,
    pub team: Vec<Member>,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub allocated_shifts: Vec<Shift>,
    pub score: Option<f64>,
    pub rank: Option<usize>,
    pub reviewer_ids: Option<Vec<i64>>,
    pub reviews: Option<usize>,
    pub version: i64,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Shown> for Proposal {
    fn from(s: Shown) -> Proposal {
        let p = s.proposal;
        let st = s.standings;
        Proposal {
            team: team_of(&p),
            preferred_dates: list_of(&p.preferred_dates),
            unavailable_dates: list_of(&p.unavailable_dates),
            allocated_shifts: s.shifts.into_iter().map(|x| Shift::of(x, true)).collect(),
            score: st.as_ref().and_then(|x| x.score),
            rank: st.as_ref().map(|x| x.rank),
            reviews: st.as_ref().map(|x| x.reviews),
            reviewer_ids: st.map(|x| x.reviewer_ids),
            id: p.id,
            call_id: p.call_id,
            resource_id: p.resource_id,
            proposer_id: p.proposer_id,
            organization_id: p.organization_id,
            title: p.title,
            summary: p.summary,
            shifts_requested: p.shifts_requested,
            decision: p.decision,
            decision_reason: p.decision_reason,
            version: p.version,
            submitted_at: p.submitted_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Review {
    pub proposal_id: i64,
    pub reviewer_id: i64,
    pub scores: Vec<i64>,
    pub comment: String,
    pub reviewed_at: DateTime<Utc>,
}

impl From<ReviewRow> for Review {
    fn from(r: ReviewRow) -> Review {
        Review {
            scores: list_of(&r.scores),
            proposal_id: r.proposal_id,
            reviewer_id: r.reviewer_id,
            comment: r.comment,
            reviewed_at: r.reviewed_at.and_utc(),
        }
    }
}

/// A whole list, not paged: a call's proposals are bounded.
#[derive(Debug, Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}
