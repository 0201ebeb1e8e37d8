//! Published services (sample testing and the like): the catalogue of them and its search.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{jurisdictions, organizations, services as s};
use crate::domain::ids::ServiceId;
use crate::domain::types::ServiceStatus;

#[derive(Debug, Clone, Queryable)]
pub struct ServiceRow {
    pub id: i64,
    pub organization_id: i64,
    pub resource_id: Option<i64>,
    pub name_en: String,
    pub name_zh: String,
    pub measures: String,
    pub sample_requirements: String,
    pub category: String,
    pub price_internal_fen: i64,
    pub price_academic_fen: i64,
    pub price_enterprise_fen: i64,
    pub turnaround_days: i32,
    /// The purposes a voucher may pay this service for, separated by commas.
    pub voucher_purposes: String,
    pub status: ServiceStatus,
    pub search_text: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a manager sets on a service; the same fields make a new one. `resource_id: None`
/// clears the column, which a changeset would otherwise skip.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = s, treat_none_as_null = true)]
pub struct ServiceValues {
    pub resource_id: Option<i64>,
    pub name_en: String,
    pub name_zh: String,
    pub measures: String,
    pub sample_requirements: String,
    pub category: String,
    pub price_internal_fen: i64,
    pub price_academic_fen: i64,
    pub price_enterprise_fen: i64,
    pub turnaround_days: i32,
    pub voucher_purposes: String,
    pub status: ServiceStatus,
    pub search_text: String,
    pub updated_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    organization: i64,
    v: &ServiceValues,
) -> QueryResult<ServiceRow> {
    diesel::insert_into(s::table)
        .values((
            s::organization_id.eq(organization),
            v,
            s::created_at.eq(v.updated_at),
        ))
        .returning(s::all_columns)
        .get_result(conn)
}

pub fn update(conn: &mut DbConnection, id: i64, v: &ServiceValues) -> QueryResult<ServiceRow> {
    diesel::update(s::table.find(id))
        .set((v, s::version.eq(s::version + 1)))
        .returning(s::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: ServiceId) -> QueryResult<Option<ServiceRow>> {
    s::table.find(id.0).first(conn).optional()
}

/// Locks a service for an edit. On SQLite the write transaction already holds the only lock.
pub fn lock(conn: &mut DbConnection, id: ServiceId) -> QueryResult<()> {
    let query = s::table.filter(s::id.eq(id.0)).select(s::id);
    match conn {
        DbConnection::Postgresql(pg) => query.for_update().load::<i64>(pg).map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// What a search of the regional catalogue of services asks for.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Words each found in a name (either language), in what is measured or in the category.
    pub text: Option<String>,
    pub province: Option<String>,
    pub category: Option<String>,
    pub organization: Option<i64>,
    pub resource: Option<i64>,
    /// Withdrawn services too (their institution's staff ask for them).
    pub withdrawn: bool,
}

/// Services matching `q`, in id order after `after`.
pub fn search(
    conn: &mut DbConnection,
    q: &Search,
    (after, limit): (Option<i64>, i64),
) -> QueryResult<Vec<ServiceRow>> {
    let mut query = s::table.order(s::id).into_boxed();
    if !q.withdrawn {
        query = query.filter(s::status.eq(ServiceStatus::Published));
    }
    for term in q.text.iter().flat_map(|t| t.split_whitespace()) {
        let like = format!("%{}%", escape_like(&term.to_lowercase()));
        query = query.filter(s::search_text.like(like).escape('\\'));
    }
    if let Some(province) = &q.province {
        let codes = jurisdictions::table
            .filter(jurisdictions::province.eq(province.clone()))
            .select(jurisdictions::code);
        let orgs = organizations::table
            .filter(organizations::jurisdiction_code.eq_any(codes))
            .select(organizations::id);
        query = query.filter(s::organization_id.eq_any(orgs));
    }
    if let Some(category) = &q.category {
        query = query.filter(s::category.eq(category.clone()));
    }
    if let Some(org) = q.organization {
        query = query.filter(s::organization_id.eq(org));
    }
    if let Some(resource) = q.resource {
        query = query.filter(s::resource_id.eq(resource));
    }
    if let Some(after) = after {
        query = query.filter(s::id.gt(after));
    }
    query.limit(limit).load(conn)
}

/// `text` with the wildcards of LIKE taken literally.
fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// The province an organisation is registered in.
pub fn province_of(conn: &mut DbConnection, organization: i64) -> QueryResult<Option<String>> {
    organizations::table
        .inner_join(jurisdictions::table)
        .filter(organizations::id.eq(organization))
        .select(jurisdictions::province)
        .first(conn)
        .optional()
}
