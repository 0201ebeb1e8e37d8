//! The catalogue: resources with their specifications, rate card and operators (opening hours
//! and blackouts have modules of their own). Edits are compare-and-swap on `version`, which is also the ETag.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::jurisdictions::JurisdictionRow;
use super::schema::{jurisdictions, organizations, resources};
use crate::domain::ids::{OrganizationId, ResourceId};
use crate::domain::opening::{OpeningHours, default_weekly};
use crate::domain::resource::ResourceFields;
use crate::domain::types::{ResourceStatus, SelfOperation};

#[derive(Debug, Clone, Queryable)]
pub struct ResourceRow {
    pub id: i64,
    pub organization_id: i64,
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    pub specs: String,
    pub search_text: String,
    pub original_value_cny: i64,
    pub jurisdiction_code: String,
    pub location: String,
    pub timezone: String,
    pub status: ResourceStatus,
    pub status_reason: Option<String>,
    pub capacity: i64,
    pub unit: String,
    pub granularity_min: i32,
    pub min_duration_min: i32,
    pub max_duration_min: i32,
    pub lead_time_min: i32,
    pub cancel_lead_time_min: i32,
    pub advance_window_days: i32,
    pub setup_min: i32,
    pub teardown_min: i32,
    pub approval_policy: String,
    pub conflict_policy: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The longest buffered booking the resource has ever had, in minutes: the bound of every
    /// overlap lookup.
    pub longest_block_min: i32,
    pub no_show_grace_min: i32,
    pub self_operation: SelfOperation,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = resources)]
pub struct ResourceValues {
    pub organization_id: i64,
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    pub specs: String,
    pub search_text: String,
    pub original_value_cny: i64,
    pub jurisdiction_code: String,
    pub location: String,
    pub timezone: String,
    pub status: ResourceStatus,
    #[diesel(treat_none_as_null = true)]
    pub status_reason: Option<String>,
    pub capacity: i64,
    pub unit: String,
    pub granularity_min: i32,
    pub min_duration_min: i32,
    pub max_duration_min: i32,
    pub lead_time_min: i32,
    pub cancel_lead_time_min: i32,
    pub advance_window_days: i32,
    pub setup_min: i32,
    pub teardown_min: i32,
    pub approval_policy: String,
    pub conflict_policy: String,
    pub self_operation: SelfOperation,
    pub no_show_grace_min: i32,
    pub updated_at: NaiveDateTime,
}

impl ResourceValues {
    /// The row for validated `fields`, owned by `org` (whose names feed free-text search).
    pub fn new(
        fields: &ResourceFields,
        org: &super::organizations::OrganizationRow,
        now: NaiveDateTime,
    ) -> ResourceValues {
        let r = fields.rules();
        ResourceValues {
            organization_id: org.id,
            kind: fields.kind.as_str().into(),
            name_en: fields.name_en.trim().into(),
            name_zh: fields.name_zh.trim().into(),
            category: fields.category.trim().into(),
            specs: serde_json::Value::Object(fields.specs.clone()).to_string(),
            search_text: fields.search_text(&org.name_en, &org.name_zh),
            original_value_cny: fields.original_value_cny,
            jurisdiction_code: fields.jurisdiction_code.clone(),
            location: fields.location.clone(),
            timezone: fields.timezone.clone(),
            status: fields.status,
            status_reason: fields.status_reason.clone(),
            capacity: fields.capacity,
            unit: fields.unit_or_default(),
            granularity_min: r.granularity_min,
            min_duration_min: r.min_duration_min,
            max_duration_min: r.max_duration_min,
            lead_time_min: r.lead_time_min,
            cancel_lead_time_min: r.cancel_lead_time_min,
            advance_window_days: r.advance_window_days,
            setup_min: r.setup_min,
            teardown_min: r.teardown_min,
            approval_policy: fields.approval_policy.as_str().into(),
            conflict_policy: fields.conflict_policy.as_str().into(),
            self_operation: fields.self_operation(),
            no_show_grace_min: r.no_show_grace_min,
            updated_at: now,
        }
    }
}

/// A resource, its institution's English and Chinese names, and its jurisdiction.
pub type Joined = (ResourceRow, (String, String), JurisdictionRow);

/// Resources joined with their institution's names and their jurisdiction.
macro_rules! joined_resources {
    () => {
        resources::table
            .inner_join(organizations::table)
            .inner_join(jurisdictions::table)
            .select((
                resources::all_columns,
                (organizations::name_en, organizations::name_zh),
                jurisdictions::all_columns,
            ))
    };
}

mod parts;
mod search;
mod view;

pub use parts::{add_operator, is_operator, operated};
pub use search::list;
pub use view::ResourceView;

/// Every resource (or one institution's) with its institution's names and its jurisdiction, in
/// one query: what reports need, without rates or operators.
pub fn joined_all(conn: &mut DbConnection, institution: Option<i64>) -> QueryResult<Vec<Joined>> {
    let mut query = joined_resources!().order(resources::id).into_boxed();
    if let Some(org) = institution {
        query = query.filter(resources::organization_id.eq(org));
    }
    query.load(conn)
}

/// The first resource with this English name.
pub fn find_by_name_en(conn: &mut DbConnection, name: &str) -> QueryResult<Option<ResourceId>> {
    let id: Option<i64> = resources::table
        .filter(resources::name_en.eq(name))
        .select(resources::id)
        .order(resources::id)
        .first(conn)
        .optional()?;
    Ok(id.map(ResourceId))
}

pub fn find(conn: &mut DbConnection, id: ResourceId) -> QueryResult<Option<ResourceView>> {
    let rows: Vec<Joined> = crate::native!(conn, c => joined_resources!()
        .filter(resources::id.eq(id.0))
        .load(c))?;
    Ok(parts::complete(conn, rows)?.pop())
}

/// Inserts a resource with its specifications, rates, operators and default opening hours.
pub fn insert(
    conn: &mut DbConnection,
    values: &ResourceValues,
    fields: &ResourceFields,
) -> QueryResult<ResourceId> {
    let id: i64 = diesel::insert_into(resources::table)
        .values((
            values,
            resources::version.eq(1),
            resources::created_at.eq(values.updated_at),
        ))
        .returning(resources::id)
        .get_result(conn)?;
    parts::write_children(conn, id, fields)?;
    let hours = OpeningHours {
        weekly: default_weekly(fields.kind),
        exceptions: Vec::new(),
    };
    super::opening_hours::replace_opening_hours(conn, ResourceId(id), &hours)?;
    Ok(ResourceId(id))
}

/// Writes `values` if the resource is still at `expected_version`; false when someone else
/// changed it first.
pub fn update(
    conn: &mut DbConnection,
    id: ResourceId,
    expected_version: i64,
    values: &ResourceValues,
    fields: &ResourceFields,
) -> QueryResult<bool> {
    let changed = diesel::update(
        resources::table
            .filter(resources::id.eq(id.0))
            .filter(resources::version.eq(expected_version)),
    )
    .set((values, resources::version.eq(expected_version + 1)))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    parts::delete_children(conn, id.0)?;
    parts::write_children(conn, id.0, fields)?;
    Ok(true)
}

/// Marks a resource retired for good; it stays readable for its history.
pub fn retire(
    conn: &mut DbConnection,
    id: ResourceId,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(resources::table.find(id.0))
        .set((
            resources::status.eq(ResourceStatus::Retired),
            resources::status_reason.eq(reason),
            resources::version.eq(resources::version + 1),
            resources::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The time zone of each of `ids`.
pub fn timezones(conn: &mut DbConnection, ids: Vec<i64>) -> QueryResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = resources::table
        .filter(resources::id.eq_any(ids))
        .select((resources::id, resources::timezone))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// What a page shows of each of `ids`: names (en, zh) and time zone.
pub fn labels(
    conn: &mut DbConnection,
    ids: Vec<i64>,
) -> QueryResult<HashMap<i64, (String, String, String)>> {
    let rows: Vec<(i64, String, String, String)> = resources::table
        .filter(resources::id.eq_any(ids))
        .select((
            resources::id,
            resources::name_en,
            resources::name_zh,
            resources::timezone,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, en, zh, tz)| (id, (en, zh, tz)))
        .collect())
}

/// The resources `reach` runs (an institution's, or those its operator runs; all for admins),
/// with their names (en, zh), in id order.
pub fn run_by(
    conn: &mut DbConnection,
    reach: crate::domain::actor::Reach,
) -> QueryResult<Vec<(i64, String, String)>> {
    use crate::domain::actor::Reach;
    let mut q = resources::table
        .select((resources::id, resources::name_en, resources::name_zh))
        .order(resources::id)
        .into_boxed();
    match reach {
        Reach::All => {}
        Reach::Institution(org) => q = q.filter(resources::organization_id.eq(org.0)),
        Reach::Operated(user) => q = q.filter(resources::id.eq_any(parts::operated(user))),
        _ => return Ok(Vec::new()),
    }
    q.load(conn)
}

/// The ids of an institution's resources, as a subquery.
#[diesel::dsl::auto_type]
pub fn of_institution(org: OrganizationId) -> _ {
    let id: i64 = org.0;
    resources::table
        .filter(resources::organization_id.eq(id))
        .select(resources::id)
}
