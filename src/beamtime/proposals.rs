//! Proposals: a booker submits one while the call is open and edits it until it closes; the
//! call's staff choose who reviews it, never someone of the proposer's organisation.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Seen, Standing, find_call, json_of, list_of, phase_of, seen};
use crate::db::beamtime::proposals::{self as store, ProposalRow, ProposalValues};
use crate::db::beamtime::{self as calls_store, CallRow};
use crate::db::{DbConnection, resources, users};
use crate::domain::actor::Actor;
use crate::domain::beamtime::{Phase, may_review};
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::types::Role;
use crate::domain::{Checks, prose_fits, text_fits};
use crate::error::{ErrorCode, ServiceError};

/// The most proposals a call takes, dates a proposal names and members its team has.
pub const MAX_PROPOSALS: i64 = 500;
pub const MAX_DATES: usize = 100;
pub const MAX_TEAM: usize = 30;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub resource_id: i64,
    pub title: String,
    #[serde(rename = "abstract")]
    pub summary: String,
    pub shifts_requested: i64,
    #[serde(default)]
    pub preferred_dates: Vec<NaiveDate>,
    #[serde(default)]
    pub unavailable_dates: Vec<NaiveDate>,
    pub team: Vec<Member>,
}

/// A member of a proposal's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
    #[serde(default)]
    pub role: String,
}

/// Submits a proposal to call `call` for the booker and their organisation, assigned to every
/// reviewer of the call outside that organisation.
pub fn submit(
    conn: &mut DbConnection,
    user: &Actor,
    call: i64,
    d: Draft,
    now: DateTime<Utc>,
) -> Result<ProposalRow, ServiceError> {
    if user.role != Role::Booker {
        return Err(ServiceError::forbidden(
            "proposals are submitted by bookers",
        ));
    }
    let org = user
        .org
        .ok_or_else(|| ServiceError::forbidden("proposals are made for an organisation"))?;
    let call = find_call(conn, call)?;
    taking_edits(&call, now)?;
    if store::count_of_call(conn, call.id)? >= MAX_PROPOSALS {
        return Err(ServiceError::conflict(format!(
            "the call has taken its {MAX_PROPOSALS} proposals"
        )));
    }
    let values = checked(conn, &call, d, now)?;
    let row = store::insert(conn, (call.id, user.id.0, org.0), &values)?;
    let mut reviewers = Vec::new();
    for r in calls_store::reviewers_of(conn, call.id)? {
        let their_org = users::find(conn, UserId(r))?.and_then(|u| u.organization_id);
        if may_review(their_org, org.0) {
            reviewers.push(r);
        }
    }
    store::assign(conn, row.id, &reviewers)?;
    audited(conn, user, (&row, &call), "submitted", now)?;
    Ok(row)
}

/// Replaces a proposal's fields, by its proposer, while the call is open; `expected` is the
/// version `If-Match` named (`None` for any).
pub fn edit(
    conn: &mut DbConnection,
    user: &Actor,
    (id, expected): (i64, Option<i64>),
    d: Draft,
    now: DateTime<Utc>,
) -> Result<ProposalRow, ServiceError> {
    let Seen { proposal, call, .. } = seen(conn, user, id)?;
    if proposal.proposer_id != user.id.0 {
        return Err(ServiceError::forbidden(
            "a proposal is edited by its proposer",
        ));
    }
    taking_edits(&call, now)?;
    let values = checked(conn, &call, d, now)?;
    let version = expected.unwrap_or(proposal.version);
    let row = store::update(conn, id, version, &values)?.ok_or_else(|| {
        ServiceError::new(
            ErrorCode::PreconditionFailed,
            format!(
                "the proposal is at version {}; read it again and reapply the change",
                proposal.version
            ),
        )
    })?;
    audited(conn, user, (&row, &call), "edited", now)?;
    Ok(row)
}

/// Chooses who reviews a proposal: reviewers of its call, none of the proposer's organisation,
/// until the review deadline.
pub fn assign(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    reviewers: &[i64],
    now: DateTime<Utc>,
) -> Result<ProposalRow, ServiceError> {
    let s = seen(conn, user, id)?;
    if s.standing != Standing::Staff {
        return Err(ServiceError::forbidden(
            "reviewers are assigned by the call's managers",
        ));
    }
    if matches!(phase_of(&s.call, now), Phase::Allocating | Phase::Allocated) {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            "the review deadline has passed; reviewers can no longer change",
        ));
    }
    let of_call = calls_store::reviewers_of(conn, s.call.id)?;
    let mut checks = Checks::default();
    for r in reviewers {
        let their_org = users::find(conn, UserId(*r))?.and_then(|u| u.organization_id);
        checks.check(
            of_call.contains(r),
            "reviewer_ids",
            format!("user {r} is not one of the call's reviewers"),
        );
        checks.check(
            may_review(their_org, s.proposal.organization_id),
            "reviewer_ids",
            format!("user {r} belongs to the proposer's organisation"),
        );
    }
    let issues = checks.issues();
    if !issues.is_empty() {
        return Err(ServiceError::validation(issues));
    }
    let chosen: Vec<i64> = reviewers
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    store::assign(conn, id, &chosen)?;
    let change = crate::audit::Change {
        subject: ("beam_proposal", id),
        action: "beam_proposal.reviewers_assigned",
        owner: Some(s.call.organization_id),
        party: None,
        reason: None,
    };
    let after = serde_json::json!({ "reviewer_ids": chosen });
    crate::audit::record(
        conn,
        user,
        change,
        (None::<&()>, Some(&after)),
        now.naive_utc(),
    )?;
    Ok(s.proposal)
}

/// Refuses a change to proposals outside the call's submission window.
fn taking_edits(call: &CallRow, now: DateTime<Utc>) -> Result<(), ServiceError> {
    match phase_of(call, now) {
        Phase::Open => Ok(()),
        Phase::Upcoming => Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "the call opens at {}; proposals are taken from then",
                call.opens_at.and_utc().to_rfc3339()
            ),
        )),
        _ => Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "the call closed at {}; proposals can no longer be submitted or edited",
                call.closes_at.and_utc().to_rfc3339()
            ),
        )),
    }
}

/// The proposal's fields, each checked against the call.
fn checked(
    conn: &mut DbConnection,
    call: &CallRow,
    d: Draft,
    now: DateTime<Utc>,
) -> Result<ProposalValues, ServiceError> {
    let shifts = calls_store::shifts_of(conn, call.id)?;
    let offered = shifts
        .iter()
        .filter(|s| s.resource_id == d.resource_id)
        .count() as i64;
    let mut checks = Checks::default();
    checks.check(
        offered > 0,
        "resource_id",
        "must be a resource the call offers shifts on",
    );
    checks.check(
        offered == 0 || (1..=offered).contains(&d.shifts_requested),
        "shifts_requested",
        format!("ask for 1 to the {offered} shifts the call offers on the resource"),
    );
    let text = "write 1 to {} characters, without control characters";
    checks.check(text_fits(&d.title, 300), "title", text.replace("{}", "300"));
    checks.check(
        prose_fits(&d.summary, 10_000),
        "abstract",
        text.replace("{}", "10000"),
    );
    let (first, last) = beam_days(conn, call, d.resource_id)?;
    for (field, dates) in [
        ("preferred_dates", &d.preferred_dates),
        ("unavailable_dates", &d.unavailable_dates),
    ] {
        checks.check(
            dates.len() <= MAX_DATES && dates.iter().all(|day| (first..=last).contains(day)),
            field,
            format!("at most {MAX_DATES} dates, each from {first} to {last}"),
        );
    }
    checks.check(
        (1..=MAX_TEAM).contains(&d.team.len())
            && d.team.iter().all(|m| {
                text_fits(&m.name, 200)
                    && m.affiliation.chars().count() <= 200
                    && m.role.chars().count() <= 100
            }),
        "team",
        format!("name 1 to {MAX_TEAM} members, each with a name of up to 200 characters"),
    );
    let issues = checks.issues();
    if !issues.is_empty() {
        return Err(ServiceError::validation(issues));
    }
    let sorted = |v: Vec<NaiveDate>| json_of(&v.into_iter().collect::<BTreeSet<_>>());
    Ok(ProposalValues {
        resource_id: d.resource_id,
        title: d.title.trim().to_owned(),
        summary: d.summary.trim().to_owned(),
        shifts_requested: d.shifts_requested,
        preferred_dates: sorted(d.preferred_dates),
        unavailable_dates: sorted(d.unavailable_dates),
        team: json_of(&d.team),
        updated_at: now.naive_utc(),
    })
}

/// The first and last day of the beam period in the resource's zone.
fn beam_days(
    conn: &mut DbConnection,
    call: &CallRow,
    resource: i64,
) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let tz = zone_of(conn, resource)?;
    let day = |t: chrono::NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
    Ok((day(call.beam_from), day(call.beam_to)))
}

/// A resource's time zone; Shanghai's for one that is gone.
pub fn zone_of(conn: &mut DbConnection, resource: i64) -> Result<chrono_tz::Tz, ServiceError> {
    Ok(resources::find(conn, ResourceId(resource))?
        .and_then(|v| v.row.timezone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai))
}

/// The team of a proposal as written.
pub fn team_of(p: &ProposalRow) -> Vec<Member> {
    list_of(&p.team)
}

fn audited(
    conn: &mut DbConnection,
    user: &Actor,
    (row, call): (&ProposalRow, &CallRow),
    event: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let change = crate::audit::Change {
        subject: ("beam_proposal", row.id),
        action: &format!("beam_proposal.{event}"),
        owner: Some(call.organization_id),
        party: Some(row.organization_id),
        reason: None,
    };
    let after = serde_json::json!({
        "call_id": row.call_id, "resource_id": row.resource_id, "title": row.title,
        "shifts_requested": row.shifts_requested, "version": row.version,
    });
    crate::audit::record(
        conn,
        user,
        change,
        (None::<&()>, Some(&after)),
        now.naive_utc(),
    )
}
