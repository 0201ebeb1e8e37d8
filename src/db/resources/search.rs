//! Catalogue search: the filters of a query as one SQL statement.

use diesel::prelude::*;

use super::{Joined, ResourceView, parts::complete};
use crate::db::DbConnection;
use crate::db::schema::{jurisdictions, organizations, resource_specs, resources};
use crate::domain::catalogue_query::{ResourceFilter, SpecOp};

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
