//! Open-sharing reports from the database: each resource's recorded use, blackouts and booking
//! endings over a period, turned into figures by `domain::sharing` and rolled up by institution,
//! city, province or the whole region.

pub mod charts;
pub mod flows;
mod orders;

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::resources;
use crate::domain::actor::{Actor, Reach};
use crate::domain::availability::Span;
use crate::domain::months;
use crate::domain::sharing::{self, DEFAULT_RATED_HOURS, Facts, Figures, Recorded, Totals};
use crate::domain::spreadsheet::Sheet;
use crate::error::ServiceError;

pub use crate::db::reports::Scope;
pub use flows::flows;

/// How a report groups resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Instrument,
    Institution,
    City,
    Province,
    Region,
}

/// Whose resources the caller's reports cover: a manager's institution's, or (issuers and
/// admins) the region's.
pub fn institution_seen_by(actor: &Actor) -> Result<Option<i64>, ServiceError> {
    match actor.reach() {
        Reach::All | Reach::Agency(_) => Ok(None),
        Reach::Institution(org) => Ok(Some(org.0)),
        _ => Err(ServiceError::forbidden(
            "reports are for institutions' managers, issuers and admins",
        )),
    }
}

/// Everything the caller's reports may cover.
pub fn scope_of(actor: &Actor) -> Result<Scope, ServiceError> {
    Ok(Scope {
        institution: institution_seen_by(actor)?,
        large_only: false,
        resource: None,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub key: String,
    pub name_en: String,
    pub name_zh: String,
    pub resources: usize,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A resource as reports group it.
struct Resource {
    row: crate::db::resources::ResourceRow,
    institution: (String, String),
    jurisdiction: crate::db::jurisdictions::JurisdictionRow,
}

/// The resources in scope, each with its rated hours a year.
fn resources_in(
    conn: &mut DbConnection,
    scope: Scope,
) -> Result<Vec<(Resource, i64)>, ServiceError> {
    let ratings = crate::db::settings::all(conn, crate::domain::settings::Setting::RatedHours)?;
    Ok(resources::joined_all(conn, scope.institution)?
        .into_iter()
        .map(|(row, institution, jurisdiction)| Resource {
            row,
            institution,
            jurisdiction,
        })
        .filter(|r| scope.resource.is_none_or(|id| id == r.row.id))
        .filter(|r| {
            !scope.large_only
                || sharing::is_large(r.row.original_value_cny, &r.jurisdiction.province)
        })
        .map(|r| {
            let rated = ratings
                .get(&r.row.id)
                .map_or(DEFAULT_RATED_HOURS, |h| i64::from(*h));
            (r, rated)
        })
        .collect())
}

/// The group a resource falls in at `level`: its key and its English and Chinese names.
fn group(r: &Resource, level: Level) -> (String, String, String) {
    let j = &r.jurisdiction;
    match level {
        Level::Instrument => (
            r.row.id.to_string(),
            r.row.name_en.clone(),
            r.row.name_zh.clone(),
        ),
        Level::Institution => (
            r.row.organization_id.to_string(),
            r.institution.0.clone(),
            r.institution.1.clone(),
        ),
        Level::City => (j.code.clone(), j.name_en.clone(), j.name_zh.clone()),
        Level::Province => (j.province.clone(), j.province.clone(), j.province.clone()),
        Level::Region => ("YRD".into(), "Yangtze River Delta".into(), "长三角".into()),
    }
}

/// One resource's totals over the loaded period.
fn totals_of(
    r: &Resource,
    rated: i64,
    loaded: &crate::db::reports::Period,
    period: Span,
) -> Totals {
    let id = r.row.id;
    let facts = Facts {
        owner: r.row.organization_id,
        capacity: r.row.capacity,
        rated_hours_per_year: rated,
    };
    let recorded = Recorded {
        tallies: loaded.tallies(id),
        users: loaded.users.get(&id).cloned().unwrap_or_default(),
        endings: loaded.endings.get(&id).copied().unwrap_or_default(),
    };
    let closed = loaded.blackouts.get(&id).map_or(&[][..], Vec::as_slice);
    sharing::totals(facts, period, recorded, closed)
}

/// The utilisation of each Shanghai month of `year` within `scope`, `None` for a month with no
/// rated time.
pub fn monthly_utilisation(
    conn: &mut DbConnection,
    scope: Scope,
    year: i32,
) -> Result<Vec<Option<f64>>, ServiceError> {
    let mut first = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| ServiceError::invalid_field("year", "not a calendar year"))?;
    let mut each = Vec::with_capacity(12);
    for _ in 1..=12 {
        let next = months::next_month(first);
        let (from, to) = (months::start_of(first), months::start_of(next));
        let (_, total) = sharing_report(conn, scope, Level::Region, from, to)?;
        each.push(total.utilisation);
        first = next;
    }
    Ok(each)
}

/// The report's rows at `level` and the total over everything in scope.
pub fn sharing_report(
    conn: &mut DbConnection,
    scope: Scope,
    level: Level,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<(Vec<Row>, Figures), ServiceError> {
    let resources = resources_in(conn, scope)?;
    let loaded = crate::db::reports::period(conn, scope, from, to)?;
    let period = Span::new(from.and_utc(), to.and_utc());
    let mut groups: orders::Groups = BTreeMap::new();
    let mut all = Totals::default();
    for (r, rated) in &resources {
        let totals = totals_of(r, *rated, &loaded, period);
        let (key, en, zh) = group(r, level);
        let entry = groups
            .entry(key)
            .or_insert_with(|| (en, zh, 0, Totals::default()));
        entry.2 += 1;
        entry.3.add(&totals);
        all.add(&totals);
    }
    let parts = (&mut groups, &mut all);
    orders::add(conn, (scope, level), (from, to), &resources, parts)?;
    let rows = groups
        .into_iter()
        .map(|(key, (name_en, name_zh, resources, totals))| Row {
            key,
            name_en,
            name_zh,
            resources,
            figures: totals.figures(),
        })
        .collect();
    Ok((rows, all.figures()))
}

/// The rows as CSV, one line each, columns as in the JSON rows.
pub fn sharing_csv(rows: &[Row]) -> Result<String, ServiceError> {
    let mut w = Sheet::default();
    w.row([
        "key",
        "name_en",
        "name_zh",
        "resources",
        "effective_hours",
        "external_hours",
        "sharing_rate",
        "rated_hours",
        "utilisation",
        "service_income_fen",
        "users_served",
        "organizations_served",
        "no_show_rate",
        "late_cancel_rate",
        "service_orders",
        "external_service_orders",
        "samples_measured",
        "service_order_income_fen",
    ])
    .map_err(ServiceError::internal)?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in rows {
        let f = &r.figures;
        w.row([
            r.key.clone(),
            r.name_en.clone(),
            r.name_zh.clone(),
            r.resources.to_string(),
            f.effective_hours.to_string(),
            f.external_hours.to_string(),
            opt(f.sharing_rate),
            f.rated_hours.to_string(),
            opt(f.utilisation),
            f.service_income_fen.to_string(),
            f.users_served.to_string(),
            f.organizations_served.to_string(),
            opt(f.no_show_rate),
            opt(f.late_cancel_rate),
            f.service_orders.to_string(),
            f.external_service_orders.to_string(),
            f.samples_measured.to_string(),
            f.service_order_income_fen.to_string(),
        ])
        .map_err(ServiceError::internal)?;
    }
    w.finish().map_err(ServiceError::internal)
}
