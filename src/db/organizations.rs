//! Organisations: institutions, enterprises and agencies.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::organizations;
use crate::domain::ids::OrganizationId;

#[derive(Debug, Clone, Queryable)]
pub struct OrganizationRow {
    pub id: i64,
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub jurisdiction_code: String,
    pub uscc: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = organizations)]
pub struct OrganizationValues {
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub jurisdiction_code: String,
    #[diesel(treat_none_as_null = true)]
    pub uscc: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// Filters of the organisation list; `visible_to` limits a non-admin to public organisations
/// (institutions and agencies) and their own.
#[derive(Debug, Default)]
pub struct OrgFilter {
    pub kind: Option<String>,
    pub jurisdiction_codes: Option<Vec<String>>,
    pub visible_to: Option<Option<OrganizationId>>,
}

pub fn insert(
    conn: &mut DbConnection,
    values: &OrganizationValues,
) -> QueryResult<OrganizationRow> {
    diesel::insert_into(organizations::table)
        .values((values, organizations::created_at.eq(values.updated_at)))
        .returning(organizations::all_columns)
        .get_result(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: OrganizationId,
    values: &OrganizationValues,
) -> QueryResult<OrganizationRow> {
    diesel::update(organizations::table.find(id.0))
        .set(values)
        .returning(organizations::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: OrganizationId) -> QueryResult<Option<OrganizationRow>> {
    crate::native!(conn, c => organizations::table.find(id.0).first(c).optional())
}

pub fn find_by_name(
    conn: &mut DbConnection,
    name_en: &str,
) -> QueryResult<Option<OrganizationRow>> {
    organizations::table
        .filter(organizations::name_en.eq(name_en.to_owned()))
        .first(conn)
        .optional()
}

pub fn uscc_taken(
    conn: &mut DbConnection,
    uscc: &str,
    except: Option<OrganizationId>,
) -> QueryResult<bool> {
    let ids: Vec<i64> = organizations::table
        .filter(organizations::uscc.eq(uscc.to_owned()))
        .select(organizations::id)
        .load(conn)?;
    Ok(ids.iter().any(|id| Some(OrganizationId(*id)) != except))
}

pub fn name_taken(
    conn: &mut DbConnection,
    name_en: &str,
    except: Option<OrganizationId>,
) -> QueryResult<bool> {
    Ok(find_by_name(conn, name_en)?.is_some_and(|o| Some(OrganizationId(o.id)) != except))
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrgFilter,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OrganizationRow>> {
    let mut query = organizations::table.order(organizations::id).into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(organizations::kind.eq(kind.clone()));
    }
    if let Some(codes) = &filter.jurisdiction_codes {
        query = query.filter(organizations::jurisdiction_code.eq_any(codes.clone()));
    }
    if let Some(own) = filter.visible_to {
        let own = own.map_or(-1, |o| o.0);
        query = query.filter(
            organizations::kind
                .eq_any(["institution", "agency"])
                .or(organizations::id.eq(own)),
        );
    }
    if let Some(a) = after {
        query = query.filter(organizations::id.gt(a));
    }
    query.limit(limit).load(conn)
}
