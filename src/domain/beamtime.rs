//! The rules of beamtime calls at major facilities: a call's dates in order, who may review a
//! proposal (never someone of the proposer's own organisation), a proposal's score from its
//! reviews, the ranking, and whether an allocation of the call's shifts can stand: each shift
//! offered, given once, to a proposal that asked for that resource, never more shifts than it
//! asked for and never on a day its team said it cannot come.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

/// The dates of a call, in the order they must come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallDates {
    pub opens_at: DateTime<Utc>,
    /// Proposals are submitted and edited until then.
    pub closes_at: DateTime<Utc>,
    /// Reviews are scored until then.
    pub reviews_due_at: DateTime<Utc>,
    /// The beam period the shifts lie in.
    pub beam_from: DateTime<Utc>,
    pub beam_to: DateTime<Utc>,
}

/// What is wrong with a call's dates, field by field.
pub fn check_dates(d: &CallDates) -> Vec<(&'static str, &'static str)> {
    let mut wrong = Vec::new();
    if d.closes_at <= d.opens_at {
        wrong.push(("closes_at", "must be after opens_at"));
    }
    if d.reviews_due_at <= d.closes_at {
        wrong.push(("reviews_due_at", "must be after closes_at"));
    }
    if d.beam_from < d.reviews_due_at {
        wrong.push(("beam_from", "must be on or after reviews_due_at"));
    }
    if d.beam_to <= d.beam_from {
        wrong.push(("beam_to", "must be after beam_from"));
    }
    wrong
}

/// Where a call stands: before its window, taking proposals, in review, waiting for the
/// allocation, allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Open,
    InReview,
    Allocating,
    Allocated,
}

impl Phase {
    pub fn of(d: &CallDates, allocated: bool, now: DateTime<Utc>) -> Phase {
        match () {
            _ if allocated => Phase::Allocated,
            _ if now < d.opens_at => Phase::Upcoming,
            _ if now < d.closes_at => Phase::Open,
            _ if now < d.reviews_due_at => Phase::InReview,
            _ => Phase::Allocating,
        }
    }
}

/// A shift a call offers: a span of one resource's time in the beam period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shift {
    pub resource: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Whether `reviewer_org` may review a proposal of `proposer_org`: never their own.
pub fn may_review(reviewer_org: Option<i64>, proposer_org: i64) -> bool {
    reviewer_org != Some(proposer_org)
}

/// One reviewer's scores, one per criterion in the call's order, each 1 to 5.
pub type Scores = Vec<i64>;

/// The lowest and highest score of a criterion.
pub const SCORE_RANGE: std::ops::RangeInclusive<i64> = 1..=5;

/// What is wrong with a review's scores for a call of `criteria` criteria.
pub fn check_scores(scores: &[i64], criteria: usize) -> Result<(), String> {
    if scores.len() != criteria {
        return Err(format!("give one score per criterion ({criteria})"));
    }
    if scores.iter().any(|s| !SCORE_RANGE.contains(s)) {
        return Err("each score is a whole number from 1 to 5".to_owned());
    }
    Ok(())
}

/// A proposal's score: the mean over its reviews of each review's mean over the criteria, to
/// three decimals; `None` before any review.
pub fn score(reviews: &[Scores]) -> Option<f64> {
    let means: Vec<f64> = reviews
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.iter().sum::<i64>() as f64 / r.len() as f64)
        .collect();
    if means.is_empty() {
        return None;
    }
    let mean = means.iter().sum::<f64>() / means.len() as f64;
    Some((mean * 1000.0).round() / 1000.0)
}

/// A proposal as the ranking and the allocation see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub id: i64,
    pub resource: i64,
    pub shifts_requested: i64,
    /// Days (in the facility's zone) the team cannot come.
    pub unavailable: BTreeSet<NaiveDate>,
    pub score: Option<f64>,
    pub submitted_at: DateTime<Utc>,
}

/// Proposals best first: by score (unreviewed last), then the earlier submitted.
pub fn rank(proposals: &mut [Proposal]) {
    proposals.sort_by(|a, b| {
        let key = |p: &Proposal| p.score.unwrap_or(f64::NEG_INFINITY);
        key(b)
            .total_cmp(&key(a))
            .then(a.submitted_at.cmp(&b.submitted_at))
            .then(a.id.cmp(&b.id))
    });
}

/// Why an allocation cannot stand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("proposal {0} is not one of the call's")]
    UnknownProposal(i64),
    #[error("a shift of resource {resource} from {start} is not one the call offers")]
    NotOffered { resource: i64, start: DateTime<Utc> },
    #[error("the shift of resource {resource} from {start} is given to more than one proposal")]
    GivenTwice { resource: i64, start: DateTime<Utc> },
    #[error("proposal {proposal} asked for resource {asked}, not {given}")]
    OtherResource {
        proposal: i64,
        asked: i64,
        given: i64,
    },
    #[error("proposal {proposal} asked for {asked} shifts; {given} is more")]
    MoreThanAsked {
        proposal: i64,
        asked: i64,
        given: i64,
    },
    #[error("proposal {proposal}'s team cannot come on {day}")]
    Unavailable { proposal: i64, day: NaiveDate },
}

/// Checks an allocation of shifts to proposals against what the call offers and what each
/// proposal asked for; `day_of` gives a shift's day in the facility's zone.
pub fn check_allocation(
    offered: &[Shift],
    proposals: &[Proposal],
    given: &BTreeMap<i64, Vec<Shift>>,
    day_of: impl Fn(&Shift) -> NaiveDate,
) -> Result<(), AllocationError> {
    let offered: BTreeSet<&Shift> = offered.iter().collect();
    let mut taken = BTreeSet::new();
    for (id, shifts) in given {
        let p = proposals
            .iter()
            .find(|p| p.id == *id)
            .ok_or(AllocationError::UnknownProposal(*id))?;
        let count = i64::try_from(shifts.len()).unwrap_or(i64::MAX);
        if count > p.shifts_requested {
            return Err(AllocationError::MoreThanAsked {
                proposal: p.id,
                asked: p.shifts_requested,
                given: count,
            });
        }
        for s in shifts {
            let at = (s.resource, s.start);
            if !offered.contains(s) {
                return Err(AllocationError::NotOffered {
                    resource: at.0,
                    start: at.1,
                });
            }
            if !taken.insert(at) {
                return Err(AllocationError::GivenTwice {
                    resource: at.0,
                    start: at.1,
                });
            }
            if s.resource != p.resource {
                return Err(AllocationError::OtherResource {
                    proposal: p.id,
                    asked: p.resource,
                    given: s.resource,
                });
            }
            let day = day_of(s);
            if p.unavailable.contains(&day) {
                return Err(AllocationError::Unavailable {
                    proposal: p.id,
                    day,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn shift(resource: i64, start: &str) -> Shift {
        let start = at(start);
        Shift {
            resource,
            start,
            end: start + Duration::hours(8),
        }
    }

    fn proposal(id: i64, shifts: i64, score: Option<f64>, unavailable: &[&str]) -> Proposal {
        Proposal {
            id,
            resource: 7,
            shifts_requested: shifts,
            unavailable: unavailable.iter().map(|d| d.parse().unwrap()).collect(),
            score,
            submitted_at: at("2027-01-01T00:00:00Z") + Duration::minutes(id),
        }
    }

    fn day(s: &Shift) -> NaiveDate {
        s.start.date_naive()
    }

    #[test]
    fn a_calls_dates_come_in_order() {
        let d = CallDates {
            opens_at: at("2027-01-01T00:00:00Z"),
            closes_at: at("2027-02-01T00:00:00Z"),
            reviews_due_at: at("2027-03-01T00:00:00Z"),
            beam_from: at("2027-04-01T00:00:00Z"),
            beam_to: at("2027-05-01T00:00:00Z"),
        };
        assert!(check_dates(&d).is_empty());
        let late = CallDates {
            reviews_due_at: at("2027-01-15T00:00:00Z"),
            ..d
        };
        assert_eq!(
            check_dates(&late),
            [("reviews_due_at", "must be after closes_at")]
        );
    }

    #[test]
    fn a_call_moves_through_its_phases_with_the_clock() {
        let d = CallDates {
            opens_at: at("2027-01-01T00:00:00Z"),
            closes_at: at("2027-02-01T00:00:00Z"),
            reviews_due_at: at("2027-03-01T00:00:00Z"),
            beam_from: at("2027-04-01T00:00:00Z"),
            beam_to: at("2027-05-01T00:00:00Z"),
        };
        let phase = |t: &str| Phase::of(&d, false, at(t));
        assert_eq!(phase("2026-12-31T23:59:59Z"), Phase::Upcoming);
        assert_eq!(phase("2027-01-01T00:00:00Z"), Phase::Open);
        assert_eq!(phase("2027-02-01T00:00:00Z"), Phase::InReview);
        assert_eq!(phase("2027-03-01T00:00:00Z"), Phase::Allocating);
        assert_eq!(
            Phase::of(&d, true, at("2027-03-02T00:00:00Z")),
            Phase::Allocated
        );
    }

    #[test]
    fn nobody_reviews_their_own_organisations_proposal() {
        assert!(!may_review(Some(3), 3));
        assert!(may_review(Some(4), 3));
        assert!(may_review(None, 3));
    }

    #[test]
    fn scores_average_over_criteria_then_reviews_and_rank_best_first() {
        assert_eq!(check_scores(&[5, 4], 2), Ok(()));
        assert!(check_scores(&[5, 6], 2).is_err());
        assert!(check_scores(&[5], 2).is_err());
        assert_eq!(score(&[vec![5, 4], vec![3, 3]]), Some(3.75));
        assert_eq!(score(&[]), None);
        let mut ps = vec![
            proposal(1, 2, Some(3.0), &[]),
            proposal(2, 2, None, &[]),
            proposal(3, 2, Some(4.5), &[]),
            proposal(4, 2, Some(3.0), &[]),
        ];
        rank(&mut ps);
        let order: Vec<i64> = ps.iter().map(|p| p.id).collect();
        assert_eq!(order, [3, 1, 4, 2]);
    }

    #[test]
    fn an_allocation_gives_offered_shifts_once_within_what_was_asked() {
        let offered = [
            shift(7, "2027-04-01T00:00:00Z"),
            shift(7, "2027-04-01T08:00:00Z"),
            shift(7, "2027-04-02T00:00:00Z"),
        ];
        let ps = [
            proposal(1, 2, Some(4.0), &[]),
            proposal(2, 1, Some(3.0), &["2027-04-02"]),
        ];
        let first = BTreeMap::from([(1, vec![offered[0], offered[1]])]);
        assert_eq!(check_allocation(&offered, &ps, &first, day), Ok(()));
        let mut both = first.clone();
        both.insert(2, vec![offered[2]]);
        assert!(matches!(
            check_allocation(&offered, &ps, &both, day),
            Err(AllocationError::Unavailable { proposal: 2, .. })
        ));
        let twice = BTreeMap::from([(1, vec![offered[0]]), (2, vec![offered[0]])]);
        assert!(matches!(
            check_allocation(&offered, &ps, &twice, day),
            Err(AllocationError::GivenTwice { .. })
        ));
        let greedy = BTreeMap::from([(2, vec![offered[0], offered[1]])]);
        assert!(matches!(
            check_allocation(&offered, &ps, &greedy, day),
            Err(AllocationError::MoreThanAsked {
                proposal: 2,
                asked: 1,
                given: 2
            })
        ));
        let invented = BTreeMap::from([(1, vec![shift(7, "2027-06-01T00:00:00Z")])]);
        assert!(matches!(
            check_allocation(&offered, &ps, &invented, day),
            Err(AllocationError::NotOffered { .. })
        ));
        let elsewhere = BTreeMap::from([(1, vec![shift(8, "2027-04-01T00:00:00Z")])]);
        assert!(matches!(
            check_allocation(&[shift(8, "2027-04-01T00:00:00Z")], &ps, &elsewhere, day),
            Err(AllocationError::OtherResource { .. })
        ));
    }
}
