//! Telling reviewers of beamtime calls: once a call closes, each reviewer is sent the proposals
//! assigned to them; two days before the review deadline, those who still have proposals to
//! score are reminded of them. Each letter is queued once (its dedupe key), so the job can run
//! every minute on every server.

use std::collections::BTreeMap;

use chrono::Duration;

use super::reminders::BATCH;
use crate::db::Db;
use crate::db::beamtime as calls;
use crate::db::beamtime::proposals::{self as store, ProposalRow};
use crate::domain::availability::Instant;
use crate::error::ServiceError;
use crate::notify::beamtime::{Review, to_review};

/// How long before the review deadline reviewers with proposals left are reminded.
pub const REMIND_BEFORE: Duration = Duration::days(2);

/// Queues the letters due at `now`; returns how many were queued.
pub fn run(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    let at = now.naive_utc();
    let open = db
        .read_blocking(move |conn| calls::in_review(conn, at, BATCH).map_err(ServiceError::from))?;
    if open.is_empty() {
        return Ok(0);
    }
    db.write_blocking(move |conn| {
        let mut queued = 0;
        for call in &open {
            let proposals = store::of_call(conn, call.id)?;
            let ids: Vec<i64> = proposals.iter().map(|p| p.id).collect();
            let assigned = store::assignments(conn, &ids)?;
            let reviewed: Vec<(i64, i64)> = store::reviews(conn, &ids)?
                .iter()
                .map(|r| (r.proposal_id, r.reviewer_id))
                .collect();
            let due_soon = now >= call.reviews_due_at.and_utc() - REMIND_BEFORE;
            for (reviewer, theirs) in by_reviewer(&proposals, &assigned) {
                queued += usize::from(to_review(conn, call, (reviewer, &theirs), Review::Open)?);
                let left: Vec<&ProposalRow> = theirs
                    .iter()
                    .copied()
                    .filter(|p| !reviewed.contains(&(p.id, reviewer)))
                    .collect();
                if due_soon && !left.is_empty() {
                    let kind = Review::DueSoon;
                    queued += usize::from(to_review(conn, call, (reviewer, &left), kind)?);
                }
            }
        }
        Ok(queued)
    })
}

/// Each reviewer's assigned proposals, oldest first.
fn by_reviewer<'a>(
    proposals: &'a [ProposalRow],
    assigned: &[(i64, i64)],
) -> BTreeMap<i64, Vec<&'a ProposalRow>> {
    let mut out: BTreeMap<i64, Vec<&ProposalRow>> = BTreeMap::new();
    for (proposal, reviewer) in assigned {
        if let Some(p) = proposals.iter().find(|p| p.id == *proposal) {
            out.entry(*reviewer).or_default().push(p);
        }
    }
    out
}
