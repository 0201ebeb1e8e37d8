//! Reviews: an assigned reviewer scores a proposal on each of the call's criteria, with a
//! comment, between the call's close and its review deadline; a later review replaces theirs.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Standing, json_of, list_of, phase_of, seen};
use crate::db::DbConnection;
use crate::db::beamtime::proposals::{self as store, ReviewRow};
use crate::domain::actor::Actor;
use crate::domain::beamtime::{Phase, check_scores};
use crate::domain::prose_fits;
use crate::error::{ErrorCode, ServiceError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub scores: Vec<i64>,
    pub comment: String,
}

/// Records the caller's review of proposal `id`.
pub fn review(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    d: Draft,
    now: DateTime<Utc>,
) -> Result<ReviewRow, ServiceError> {
    let s = seen(conn, user, id)?;
    let assigned = store::assignments(conn, &[id])?.contains(&(id, user.id.0));
    if !assigned {
        return Err(ServiceError::forbidden(
            "a proposal is reviewed by the reviewers assigned to it",
        ));
    }
    match phase_of(&s.call, now) {
        Phase::InReview => {}
        Phase::Upcoming | Phase::Open => {
            return Err(ServiceError::new(
                ErrorCode::InvalidState,
                format!(
                    "reviews open when the call closes, at {}",
                    s.call.closes_at.and_utc().to_rfc3339()
                ),
            ));
        }
        Phase::Allocating | Phase::Allocated => {
            return Err(ServiceError::new(
                ErrorCode::InvalidState,
                format!(
                    "the review deadline passed at {}",
                    s.call.reviews_due_at.and_utc().to_rfc3339()
                ),
            ));
        }
    }
    let criteria: Vec<String> = list_of(&s.call.criteria);
    check_scores(&d.scores, criteria.len())
        .map_err(|why| ServiceError::invalid_field("scores", why))?;
    if !prose_fits(&d.comment, 10_000) {
        return Err(ServiceError::invalid_field(
            "comment",
            "write 1 to 10000 characters, without control characters",
        ));
    }
    let row = store::put_review(
        conn,
        &ReviewRow {
            proposal_id: id,
            reviewer_id: user.id.0,
            scores: json_of(&d.scores),
            comment: d.comment.trim().to_owned(),
            reviewed_at: now.naive_utc(),
        },
    )?;
    let change = crate::audit::Change {
        subject: ("beam_proposal", id),
        action: "beam_proposal.reviewed",
        owner: Some(s.call.organization_id),
        party: None,
        reason: None,
    };
    let after = serde_json::json!({ "reviewer_id": user.id.0, "scores": d.scores });
    crate::audit::record(
        conn,
        user,
        change,
        (None::<&()>, Some(&after)),
        now.naive_utc(),
    )?;
    Ok(row)
}

/// The reviews of a proposal the caller may read: all of them for the call's staff, their own
/// for a reviewer.
pub fn reviews_of(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
) -> Result<Vec<ReviewRow>, ServiceError> {
    let s = seen(conn, user, id)?;
    let all = store::reviews(conn, &[id])?;
    match s.standing {
        Standing::Staff => Ok(all),
        Standing::Reviewer => Ok(all
            .into_iter()
            .filter(|r| r.reviewer_id == user.id.0)
            .collect()),
        Standing::Proposer => Err(ServiceError::forbidden(
            "reviews are read by the call's managers and by their reviewers",
        )),
    }
}
