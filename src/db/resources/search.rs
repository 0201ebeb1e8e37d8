//! Catalogue search: the filters of a query as one SQL statement.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

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
    let indexed_text = matches!(conn, DbConnection::Sqlite(_));
    for term in &filter.terms {
        query = if indexed_text && term.chars().count() >= TRIGRAM {
            query.filter(
                diesel::dsl::sql::<Bool>(
                    "resources.id IN (SELECT rowid FROM resource_search WHERE resource_search MATCH ",
                )
                .bind::<Text, _>(fts_phrase(term))
                .sql(")"),
            )
        } else {
            // Short terms on SQLite; on PostgreSQL every term, whose trigram index serves this
            // LIKE itself when the term has three characters or more.
            query.filter(resources::search_text.like(like_pattern(term)).escape('\\'))
        };
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

/// The shortest term a trigram index can find; shorter ones are matched by scanning.
const TRIGRAM: usize = 3;

/// An FTS5 phrase of `term`: with the trigram tokenizer it matches `term` anywhere in the text,
/// ignoring case.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
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
