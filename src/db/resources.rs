//! The catalogue: resources with their specifications, rate card and operators (opening hours
//! and blackouts have modules of their own). Edits are compare-and-swap on `version`, which is also the ETag.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::jurisdictions::JurisdictionRow;
use super::schema::{
    jurisdictions, organizations, resource_operators, resource_rates, resource_specs, resources,
};
use crate::domain::catalogue_query::{ResourceFilter, SpecOp};
use crate::domain::ids::{OrganizationId, ResourceId, UserId};
use crate::domain::opening::{OpeningHours, default_weekly};
use crate::domain::resource::{BookingRules, Rates, ResourceFields};
use crate::domain::types::{ApprovalPolicy, ConflictPolicy, ResourceKind, ResourceStatus};

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
    pub requires_qualification: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The longest buffered booking the resource has ever had, in minutes: the bound of every
    /// overlap lookup.
    pub longest_block_min: i32,
    pub no_show_grace_min: i32,
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
    pub requires_qualification: bool,
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
            requires_qualification: fields.requires_qualification,
            no_show_grace_min: r.no_show_grace_min,
            updated_at: now,
        }
    }
}

/// A resource with what its representation needs from other tables.
#[derive(Debug, Clone)]
pub struct ResourceView {
    pub row: ResourceRow,
    pub institution_en: String,
    pub institution_zh: String,
    pub jurisdiction: JurisdictionRow,
    pub rates: Rates,
    pub operator_ids: Vec<i64>,
}

impl ResourceView {
    pub fn rules(&self) -> BookingRules {
        let r = &self.row;
        BookingRules {
            granularity_min: r.granularity_min,
            min_duration_min: r.min_duration_min,
            max_duration_min: r.max_duration_min,
            lead_time_min: r.lead_time_min,
            cancel_lead_time_min: r.cancel_lead_time_min,
            advance_window_days: r.advance_window_days,
            setup_min: r.setup_min,
            teardown_min: r.teardown_min,
            no_show_grace_min: r.no_show_grace_min,
        }
    }

    pub fn specs(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(&self.row.specs) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }

    /// The writable fields as they stand, the base a merge patch applies to.
    pub fn fields(&self) -> ResourceFields {
        let r = &self.row;
        ResourceFields {
            organization_id: Some(OrganizationId(r.organization_id)),
            kind: ResourceKind::parse(&r.kind).unwrap_or(ResourceKind::Instrument),
            name_en: r.name_en.clone(),
            name_zh: r.name_zh.clone(),
            category: r.category.clone(),
            specs: self.specs(),
            original_value_cny: r.original_value_cny,
            jurisdiction_code: r.jurisdiction_code.clone(),
            location: r.location.clone(),
            timezone: r.timezone.clone(),
            status: r.status,
            status_reason: r.status_reason.clone(),
            capacity: r.capacity,
            unit: Some(r.unit.clone()),
            booking_rules: self.rules().into(),
            approval_policy: ApprovalPolicy::parse(&r.approval_policy)
                .unwrap_or(ApprovalPolicy::Manual),
            conflict_policy: ConflictPolicy::parse(&r.conflict_policy)
                .unwrap_or(ConflictPolicy::FirstCome),
            rates: self.rates,
            requires_qualification: r.requires_qualification,
            operator_ids: self.operator_ids.iter().map(|id| UserId(*id)).collect(),
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
    let rows: Vec<Joined> = joined_resources!()
        .filter(resources::id.eq(id.0))
        .load(conn)?;
    Ok(complete(conn, rows)?.pop())
}

/// One page of resources matching `filter`, in id order after the cursor.
pub fn list(
    conn: &mut DbConnection,
    filter: &ResourceFilter,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ResourceView>> {
    let mut query = joined_resources!().order(resources::id).into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(resources::kind.eq(kind.clone()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(resources::category.eq(category.clone()));
    }
    if let Some(province) = &filter.province {
        query = query.filter(jurisdictions::province.eq(province.clone()));
    }
    if let Some(codes) = &filter.jurisdiction_codes {
        query = query.filter(resources::jurisdiction_code.eq_any(codes.clone()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(resources::organization_id.eq(org));
    }
    if !filter.statuses.is_empty() {
        query = query.filter(resources::status.eq_any(filter.statuses.clone()));
    }
    if let Some(min) = filter.min_value_cny {
        query = query.filter(resources::original_value_cny.ge(min));
    }
    for term in &filter.terms {
        query = query.filter(resources::search_text.like(like_pattern(term)).escape('\\'));
    }
    for spec in &filter.specs {
        let matching = resource_specs::table
            .select(resource_specs::resource_id)
            .filter(resource_specs::key.eq(spec.key.clone()));
        let v = spec.value;
        query =
            match spec.op {
                SpecOp::Ge => query
                    .filter(resources::id.eq_any(matching.filter(resource_specs::num_value.ge(v)))),
                SpecOp::Le => query
                    .filter(resources::id.eq_any(matching.filter(resource_specs::num_value.le(v)))),
                SpecOp::Gt => query
                    .filter(resources::id.eq_any(matching.filter(resource_specs::num_value.gt(v)))),
                SpecOp::Lt => query
                    .filter(resources::id.eq_any(matching.filter(resource_specs::num_value.lt(v)))),
                SpecOp::Eq => query
                    .filter(resources::id.eq_any(matching.filter(resource_specs::num_value.eq(v)))),
            };
    }
    if let Some(a) = after {
        query = query.filter(resources::id.gt(a));
    }
    let rows: Vec<Joined> = query.limit(limit).load(conn)?;
    complete(conn, rows)
}

/// A LIKE pattern matching `term` anywhere, with LIKE's own wildcards escaped.
fn like_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

// For one resource the queries filter with `=`, which diesel prepares once and caches; `IN`
// with a varying number of ids is prepared anew each time.

fn rate_rows(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, String, i64)>> {
    match ids {
        [one] => resource_rates::table
            .filter(resource_rates::resource_id.eq(*one))
            .load(conn),
        _ => resource_rates::table
            .filter(resource_rates::resource_id.eq_any(ids.to_vec()))
            .load(conn),
    }
}

fn operator_rows(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    let order = (resource_operators::resource_id, resource_operators::user_id);
    match ids {
        [one] => resource_operators::table
            .filter(resource_operators::resource_id.eq(*one))
            .order(order)
            .load(conn),
        _ => resource_operators::table
            .filter(resource_operators::resource_id.eq_any(ids.to_vec()))
            .order(order)
            .load(conn),
    }
}

/// Adds rates and operators to joined rows: two queries for the whole page, not two per row.
fn complete(conn: &mut DbConnection, rows: Vec<Joined>) -> QueryResult<Vec<ResourceView>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _, _)| r.id).collect();
    let mut rates: HashMap<i64, Rates> = HashMap::new();
    for (id, category, fen) in rate_rows(conn, &ids)? {
        let entry = rates.entry(id).or_insert(Rates {
            internal: 0,
            academic: 0,
            enterprise: 0,
        });
        match category.as_str() {
            "internal" => entry.internal = fen,
            "academic" => entry.academic = fen,
            _ => entry.enterprise = fen,
        }
    }
    let mut operators: HashMap<i64, Vec<i64>> = HashMap::new();
    for (rid, uid) in operator_rows(conn, &ids)? {
        operators.entry(rid).or_default().push(uid);
    }
    Ok(rows
        .into_iter()
        .map(
            |(row, (institution_en, institution_zh), jurisdiction)| ResourceView {
                rates: rates.remove(&row.id).unwrap_or(Rates {
                    internal: 0,
                    academic: 0,
                    enterprise: 0,
                }),
                operator_ids: operators.remove(&row.id).unwrap_or_default(),
                row,
                institution_en,
                institution_zh,
                jurisdiction,
            },
        )
        .collect())
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
    write_children(conn, id, fields)?;
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
    diesel::delete(resource_specs::table.filter(resource_specs::resource_id.eq(id.0)))
        .execute(conn)?;
    diesel::delete(resource_rates::table.filter(resource_rates::resource_id.eq(id.0)))
        .execute(conn)?;
    diesel::delete(resource_operators::table.filter(resource_operators::resource_id.eq(id.0)))
        .execute(conn)?;
    write_children(conn, id.0, fields)?;
    Ok(true)
}

fn write_children(conn: &mut DbConnection, id: i64, fields: &ResourceFields) -> QueryResult<()> {
    // One insert per row: batch inserts do not compile on the two-backend connection.
    for (key, value) in fields.numeric_specs() {
        diesel::insert_into(resource_specs::table)
            .values((
                resource_specs::resource_id.eq(id),
                resource_specs::key.eq(key),
                resource_specs::num_value.eq(value),
            ))
            .execute(conn)?;
    }
    let r = fields.rates;
    for (category, fen) in [
        ("internal", r.internal),
        ("academic", r.academic),
        ("enterprise", r.enterprise),
    ] {
        diesel::insert_into(resource_rates::table)
            .values((
                resource_rates::resource_id.eq(id),
                resource_rates::category.eq(category),
                resource_rates::fen_per_unit_hour.eq(fen),
            ))
            .execute(conn)?;
    }
    let mut operators: Vec<i64> = fields.operator_ids.iter().map(|u| u.0).collect();
    operators.sort_unstable();
    operators.dedup();
    for user in operators {
        diesel::insert_into(resource_operators::table)
            .values((
                resource_operators::resource_id.eq(id),
                resource_operators::user_id.eq(user),
            ))
            .execute(conn)?;
    }
    Ok(())
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

/// The ids of an institution's resources, as a subquery.
#[diesel::dsl::auto_type]
pub fn of_institution(org: OrganizationId) -> _ {
    let id: i64 = org.0;
    resources::table
        .filter(resources::organization_id.eq(id))
        .select(resources::id)
}

/// The ids of the resources `user` is an operator of, as a subquery.
#[diesel::dsl::auto_type]
pub fn operated(user: UserId) -> _ {
    let id: i64 = user.0;
    resource_operators::table
        .filter(resource_operators::user_id.eq(id))
        .select(resource_operators::resource_id)
}

/// Whether `user` is an assigned operator of the resource.
pub fn is_operator(conn: &mut DbConnection, id: ResourceId, user: UserId) -> QueryResult<bool> {
    let found: Option<i64> = resource_operators::table
        .filter(resource_operators::resource_id.eq(id.0))
        .filter(resource_operators::user_id.eq(user.0))
        .select(resource_operators::user_id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Adds an operator to a resource (demo seeding; the API replaces the whole list instead).
pub fn add_operator(conn: &mut DbConnection, id: ResourceId, user: UserId) -> QueryResult<()> {
    diesel::insert_into(resource_operators::table)
        .values((
            resource_operators::resource_id.eq(id.0),
            resource_operators::user_id.eq(user.0),
        ))
        .execute(conn)
        .map(|_| ())
}
