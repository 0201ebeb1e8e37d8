//! Opening a call: its dates, criteria, reviewers and the shifts on offer, checked together so
//! that every problem is reported at once and nothing is written until all hold.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use super::json_of;
use crate::db::beamtime::{self as store, CallRow, NewCall};
use crate::db::resources::ResourceView;
use crate::db::{DbConnection, resources, users};
use crate::domain::actor::Actor;
use crate::domain::beamtime::{CallDates, check_dates};
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::types::{ResourceKind, ResourceStatus, Role};
use crate::domain::{Checks, prose_fits, text_fits};
use crate::error::ServiceError;

/// The most shifts, criteria and reviewers one call takes.
pub const MAX_SHIFTS: usize = 500;
pub const MAX_CRITERIA: usize = 10;
pub const MAX_REVIEWERS: usize = 50;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub title_en: String,
    pub title_zh: String,
    #[serde(default)]
    pub description: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub reviews_due_at: DateTime<Utc>,
    pub beam_from: DateTime<Utc>,
    pub beam_to: DateTime<Utc>,
    pub criteria: Vec<String>,
    pub reviewer_ids: Vec<i64>,
    pub shifts: Vec<ShiftDraft>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftDraft {
    pub resource_id: i64,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
}

/// Opens a call for the manager's institution (an admin opens it for the institution that runs
/// the shifts' facilities).
pub fn open(
    conn: &mut DbConnection,
    user: &Actor,
    d: Draft,
    now: NaiveDateTime,
) -> Result<CallRow, ServiceError> {
    user.require(&[Role::Manager])?;
    let mut checks = Checks::default();
    check_texts(&mut checks, &d);
    let dates = CallDates {
        opens_at: d.opens_at,
        closes_at: d.closes_at,
        reviews_due_at: d.reviews_due_at,
        beam_from: d.beam_from,
        beam_to: d.beam_to,
    };
    for (field, message) in check_dates(&dates) {
        checks.check(false, field, message);
    }
    let institution = check_shifts(conn, user, &mut checks, &d)?;
    check_reviewers(conn, &mut checks, &d.reviewer_ids)?;
    let issues = checks.issues();
    if !issues.is_empty() {
        return Err(ServiceError::validation(issues));
    }
    let institution = institution.ok_or_else(|| ServiceError::internal("no institution"))?;
    let new = NewCall {
        organization_id: institution,
        title_en: d.title_en.trim().to_owned(),
        title_zh: d.title_zh.trim().to_owned(),
        description: d.description.trim().to_owned(),
        opens_at: d.opens_at.naive_utc(),
        closes_at: d.closes_at.naive_utc(),
        reviews_due_at: d.reviews_due_at.naive_utc(),
        beam_from: d.beam_from.naive_utc(),
        beam_to: d.beam_to.naive_utc(),
        criteria: json_of(&d.criteria.iter().map(|c| c.trim()).collect::<Vec<_>>()),
        created_by: user.id.0,
        created_at: now,
    };
    let shifts: Vec<_> = d
        .shifts
        .iter()
        .map(|s| (s.resource_id, s.start_at.naive_utc(), s.end_at.naive_utc()))
        .collect();
    let reviewers: BTreeSet<i64> = d.reviewer_ids.iter().copied().collect();
    let reviewers: Vec<i64> = reviewers.into_iter().collect();
    let row = store::insert_call(conn, &new, &reviewers, &shifts)?;
    let change = crate::audit::Change {
        subject: ("beam_call", row.id),
        action: "beam_call.opened",
        owner: Some(row.organization_id),
        party: None,
        reason: None,
    };
    let after = serde_json::json!({
        "title_en": row.title_en, "opens_at": d.opens_at, "closes_at": d.closes_at,
        "reviews_due_at": d.reviews_due_at, "beam_from": d.beam_from, "beam_to": d.beam_to,
        "criteria": d.criteria, "reviewer_ids": reviewers, "shifts": shifts.len(),
    });
    crate::audit::record(conn, user, change, (None::<&()>, Some(&after)), now)?;
    Ok(row)
}

fn check_texts(checks: &mut Checks, d: &Draft) {
    let title = "write 1 to 200 characters, without control characters";
    checks.check(text_fits(&d.title_en, 200), "title_en", title);
    checks.check(text_fits(&d.title_zh, 200), "title_zh", title);
    checks.check(
        d.description.is_empty() || prose_fits(&d.description, 4000),
        "description",
        "at most 4000 characters, without control characters",
    );
    let names: BTreeSet<&str> = d.criteria.iter().map(|c| c.trim()).collect();
    checks.check(
        (1..=MAX_CRITERIA).contains(&d.criteria.len())
            && names.len() == d.criteria.len()
            && d.criteria.iter().all(|c| text_fits(c, 200)),
        "criteria",
        format!("name 1 to {MAX_CRITERIA} different criteria, each 1 to 200 characters"),
    );
}

/// Checks the shifts; returns the institution whose facilities they are on, if there is one.
fn check_shifts(
    conn: &mut DbConnection,
    user: &Actor,
    checks: &mut Checks,
    d: &Draft,
) -> Result<Option<i64>, ServiceError> {
    if !(1..=MAX_SHIFTS).contains(&d.shifts.len()) {
        checks.check(false, "shifts", format!("offer 1 to {MAX_SHIFTS} shifts"));
        return Ok(None);
    }
    let mut institution = user.org.filter(|_| user.role == Role::Manager).map(|o| o.0);
    let mut seen: Vec<ShiftDraft> = Vec::new();
    for (i, s) in d.shifts.iter().enumerate() {
        let field = format!("shifts[{i}]");
        let view = resources::find(conn, ResourceId(s.resource_id))?;
        let owner = *institution.get_or_insert(view.as_ref().map_or(0, |v| v.row.organization_id));
        checks.check(
            view.as_ref().is_some_and(|v| facility_of(v, owner)),
            &format!("{field}.resource_id"),
            "must be an active facility of the call's institution",
        );
        checks.check(
            s.start_at < s.end_at && d.beam_from <= s.start_at && s.end_at <= d.beam_to,
            &field,
            "must end after it starts, within beam_from to beam_to",
        );
        let overlaps = seen.iter().any(|o| {
            o.resource_id == s.resource_id && o.start_at < s.end_at && s.start_at < o.end_at
        });
        checks.check(
            !overlaps,
            &field,
            "overlaps another shift of the same resource",
        );
        seen.push(*s);
    }
    Ok(institution)
}

fn facility_of(v: &ResourceView, institution: i64) -> bool {
    v.row.organization_id == institution
        && v.row.kind == ResourceKind::Facility.as_str()
        && v.row.status == ResourceStatus::Active
}

fn check_reviewers(
    conn: &mut DbConnection,
    checks: &mut Checks,
    ids: &[i64],
) -> Result<(), ServiceError> {
    if !(1..=MAX_REVIEWERS).contains(&ids.len()) {
        checks.check(
            false,
            "reviewer_ids",
            format!("name 1 to {MAX_REVIEWERS} reviewers"),
        );
        return Ok(());
    }
    for id in ids {
        let user = users::find(conn, UserId(*id))?;
        let fits = user.is_some_and(|u| u.active && u.organization_id.is_some());
        checks.check(
            fits,
            "reviewer_ids",
            format!("user {id} is not an active user of an organisation"),
        );
    }
    Ok(())
}
