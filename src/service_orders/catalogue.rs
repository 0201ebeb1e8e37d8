//! Publishing services: a lab manager lists what the institution offers (on one of its resources
//! or on the institution as a whole), edits it under `If-Match`, and withdraws it. Every change
//! is audited.

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::db::services::{self as store, ServiceRow, ServiceValues};
use crate::db::{DbConnection, resources};
use crate::domain::actor::Actor;
use crate::domain::ids::{ResourceId, ServiceId};
use crate::domain::money::{Fen, MAX_RATE_FEN, PurposeKind};
use crate::domain::types::{Role, ServiceStatus};
use crate::domain::{Issue, prose_fits, text_fits};
use crate::error::{ErrorCode, ServiceError};

/// Prices per sample by customer category.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub internal_fen: Fen,
    pub academic_fen: Fen,
    pub enterprise_fen: Fen,
}

/// A service as a manager writes it; on an edit, absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    #[serde(default, with = "serde_with_double_option")]
    pub resource_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub name_en: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub name_zh: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub measures: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub sample_requirements: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub prices: Option<Prices>,
    #[serde(default, deserialize_with = "present")]
    pub turnaround_days: Option<i32>,
    #[serde(default, deserialize_with = "present")]
    pub voucher_purposes: Option<Vec<PurposeKind>>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<ServiceStatus>,
}

/// A field that may be left out but, when sent, is not `null`: these fields cannot be removed.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `null` and absent told apart: `"resource_id": null` moves a service off its resource.
mod serde_with_double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Option::<i64>::deserialize(d).map(Some)
    }
}

/// The purposes a service lists, as stored.
pub fn purposes_text(purposes: &[PurposeKind]) -> String {
    let mut names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// The purposes a stored service lists.
pub fn purposes_of(row: &ServiceRow) -> Vec<PurposeKind> {
    row.voucher_purposes
        .split(',')
        .filter_map(PurposeKind::parse)
        .collect()
}

fn values_of(row: &ServiceRow) -> ServiceValues {
    ServiceValues {
        resource_id: row.resource_id,
        name_en: row.name_en.clone(),
        name_zh: row.name_zh.clone(),
        measures: row.measures.clone(),
        sample_requirements: row.sample_requirements.clone(),
        category: row.category.clone(),
        price_internal_fen: row.price_internal_fen,
        price_academic_fen: row.price_academic_fen,
        price_enterprise_fen: row.price_enterprise_fen,
        turnaround_days: row.turnaround_days,
        voucher_purposes: row.voucher_purposes.clone(),
        status: row.status,
        search_text: row.search_text.clone(),
        updated_at: row.updated_at,
    }
}

/// `d` laid over `base`, checked field by field; every problem is reported at once.
fn merge(base: ServiceValues, d: Draft, at: NaiveDateTime) -> Result<ServiceValues, ServiceError> {
    let mut v = base;
    let mut issues = Vec::new();
    let mut text = |field: &str, value: Option<String>, max: usize, slot: &mut String| {
        if let Some(t) = value {
            let fits = if max > 200 {
                prose_fits(&t, max)
            } else {
                text_fits(&t, max)
            };
            if !fits {
                issues.push(Issue::field(
                    field,
                    format!("write 1 to {max} characters, without control characters"),
                ));
            }
            *slot = t.trim().to_owned();
        }
    };
    text("name_en", d.name_en, 200, &mut v.name_en);
    text("name_zh", d.name_zh, 200, &mut v.name_zh);
    text("measures", d.measures, 2000, &mut v.measures);
    text(
        "sample_requirements",
        d.sample_requirements,
        2000,
        &mut v.sample_requirements,
    );
    text("category", d.category, 100, &mut v.category);
    if let Some(p) = d.prices {
        let fen = [p.internal_fen, p.academic_fen, p.enterprise_fen];
        if fen.iter().any(|f| !(0..=MAX_RATE_FEN).contains(f)) {
            issues.push(Issue::field(
                "prices",
                format!("each price is 0 to {MAX_RATE_FEN} fen per sample"),
            ));
        }
        (
            v.price_internal_fen,
            v.price_academic_fen,
            v.price_enterprise_fen,
        ) = (p.internal_fen, p.academic_fen, p.enterprise_fen);
    }
    if let Some(days) = d.turnaround_days {
        if !(1..=365).contains(&days) {
            issues.push(Issue::field(
                "turnaround_days",
                "the working days from receiving the samples to the report: 1 to 365",
            ));
        }
        v.turnaround_days = days;
    }
    if let Some(purposes) = d.voucher_purposes {
        v.voucher_purposes = purposes_text(&purposes);
    }
    if let Some(status) = d.status {
        v.status = status;
    }
    if let Some(resource) = d.resource_id {
        v.resource_id = resource;
    }
    if !issues.is_empty() {
        return Err(ServiceError::validation(issues));
    }
    v.search_text = [&v.name_en, &v.name_zh, &v.measures, &v.category]
        .map(|t| t.to_lowercase())
        .join(" ");
    v.updated_at = at;
    Ok(v)
}

/// The institution a manager (or an admin, naming it) publishes for.
fn institution_of(user: &Actor) -> Result<i64, ServiceError> {
    match (user.role, user.org) {
        (Role::Manager, Some(org)) => Ok(org.0),
        _ => Err(ServiceError::forbidden(
            "services are published by their institution's lab managers",
        )),
    }
}

/// A resource named for a service must be one of the institution's.
fn check_resource(
    conn: &mut DbConnection,
    institution: i64,
    resource: Option<i64>,
) -> Result<(), ServiceError> {
    let Some(id) = resource else {
        return Ok(());
    };
    let view = resources::find(conn, ResourceId(id))?;
    match view {
        Some(v) if v.row.organization_id == institution => Ok(()),
        _ => Err(ServiceError::invalid_field(
            "resource_id",
            format!("resource {id} is not one of your institution's"),
        )),
    }
}

const REQUIRED: [&str; 7] = [
    "name_en",
    "name_zh",
    "measures",
    "sample_requirements",
    "category",
    "prices",
    "turnaround_days",
];

/// Publishes a new service of the manager's institution.
pub fn publish(
    conn: &mut DbConnection,
    user: &Actor,
    d: Draft,
    at: NaiveDateTime,
) -> Result<ServiceRow, ServiceError> {
    let institution = institution_of(user)?;
    let present = [
        d.name_en.is_some(),
        d.name_zh.is_some(),
        d.measures.is_some(),
        d.sample_requirements.is_some(),
        d.category.is_some(),
        d.prices.is_some(),
        d.turnaround_days.is_some(),
    ];
    let missing: Vec<Issue> = REQUIRED
        .iter()
        .zip(present)
        .filter(|(_, there)| !there)
        .map(|(f, _)| Issue::field(*f, "required"))
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::validation(missing));
    }
    let blank = ServiceValues {
        resource_id: None,
        name_en: String::new(),
        name_zh: String::new(),
        measures: String::new(),
        sample_requirements: String::new(),
        category: String::new(),
        price_internal_fen: 0,
        price_academic_fen: 0,
        price_enterprise_fen: 0,
        turnaround_days: 1,
        voucher_purposes: purposes_text(&[PurposeKind::Research]),
        status: ServiceStatus::Published,
        search_text: String::new(),
        updated_at: at,
    };
    let v = merge(blank, d, at)?;
    check_resource(conn, institution, v.resource_id)?;
    let row = store::insert(conn, institution, &v)?;
    audited(conn, user, (None, &row), "service.published", at)?;
    Ok(row)
}

/// Edits a service of the manager's institution; `expected` is the version `If-Match` named.
pub fn edit(
    conn: &mut DbConnection,
    user: &Actor,
    id: ServiceId,
    expected: Option<i64>,
    d: Draft,
    at: NaiveDateTime,
) -> Result<ServiceRow, ServiceError> {
    store::lock(conn, id)?;
    let before = store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("service"))?;
    let mine = user.role == Role::Admin || user.org.map(|o| o.0) == Some(before.organization_id);
    if !mine || !matches!(user.role, Role::Manager | Role::Admin) {
        return Err(ServiceError::forbidden(
            "only the institution's lab managers edit its services",
        ));
    }
    let v = merge(values_of(&before), d, at)?;
    check_resource(conn, before.organization_id, v.resource_id)?;
    if expected.is_some_and(|e| e != before.version) {
        return Err(ServiceError::new(
            ErrorCode::PreconditionFailed,
            format!(
                "the service changed since you read it (now version {}); read it again and redo your edit",
                before.version
            ),
        ));
    }
    let row = store::update(conn, id.0, &v)?;
    audited(conn, user, (Some(&before), &row), "service.updated", at)?;
    Ok(row)
}

fn audited(
    conn: &mut DbConnection,
    user: &Actor,
    (before, after): (Option<&ServiceRow>, &ServiceRow),
    action: &str,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let facts = |r: &ServiceRow| {
        serde_json::json!({
            "name_en": r.name_en,
            "resource_id": r.resource_id,
            "prices": [r.price_internal_fen, r.price_academic_fen, r.price_enterprise_fen],
            "turnaround_days": r.turnaround_days,
            "voucher_purposes": r.voucher_purposes,
            "status": r.status.as_str(),
        })
    };
    let change = crate::audit::Change {
        subject: ("service", after.id),
        action,
        owner: Some(after.organization_id),
        party: None,
        reason: None,
    };
    let before = before.map(facts);
    crate::audit::record(
        conn,
        user,
        change,
        (before.as_ref(), Some(&facts(after))),
        at,
    )
}
