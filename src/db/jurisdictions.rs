//! Jurisdictions: the four provinces, their cities and the county-level cities the catalogue names.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::jurisdictions;

#[derive(Debug, Clone, Queryable)]
pub struct JurisdictionRow {
    pub code: String,
    pub province: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub name_en: String,
    pub name_zh: String,
}

pub fn find(conn: &mut DbConnection, code: &str) -> QueryResult<Option<JurisdictionRow>> {
    jurisdictions::table.find(code).first(conn).optional()
}

/// Pages through jurisdictions in code order, optionally within one province.
pub fn list(
    conn: &mut DbConnection,
    province: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<JurisdictionRow>> {
    let mut query = jurisdictions::table.order(jurisdictions::code).into_boxed();
    if let Some(p) = province {
        query = query.filter(jurisdictions::province.eq(p.to_owned()));
    }
    if let Some(a) = after {
        query = query.filter(jurisdictions::code.gt(a.to_owned()));
    }
    query.limit(limit).load(conn)
}

/// The codes a city filter means: jurisdictions whose code or name (English, any case, or
/// Chinese, with or without 市) matches, and the county-level cities under them.
pub fn codes_matching(conn: &mut DbConnection, city: &str) -> QueryResult<Vec<String>> {
    let all: Vec<JurisdictionRow> = jurisdictions::table.load(conn)?;
    let wanted = city.trim().to_lowercase();
    let hits: Vec<String> = all
        .iter()
        .filter(|j| j.level != "province")
        .filter(|j| {
            j.code == wanted
                || j.name_en.to_lowercase() == wanted
                || j.name_zh == wanted
                || j.name_zh.trim_end_matches('市') == wanted
        })
        .map(|j| j.code.clone())
        .collect();
    let children = all
        .iter()
        .filter(|j| j.parent_code.as_ref().is_some_and(|p| hits.contains(p)))
        .map(|j| j.code.clone());
    Ok(hits.iter().cloned().chain(children).collect())
}

/// The city (or county-level city) called `name` in `province`, as a CSV names it.
pub fn city_in_province(
    conn: &mut DbConnection,
    province: &str,
    name: &str,
) -> QueryResult<Option<JurisdictionRow>> {
    jurisdictions::table
        .filter(jurisdictions::province.eq(province.to_owned()))
        .filter(jurisdictions::level.ne("province"))
        .filter(
            jurisdictions::name_en
                .eq(name.to_owned())
                .or(jurisdictions::name_zh.eq(name.to_owned()))
                .or(jurisdictions::code.eq(name.to_owned())),
        )
        .first(conn)
        .optional()
}
