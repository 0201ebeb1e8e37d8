//! User accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::users;
use crate::domain::ids::{OrganizationId, UserId};

#[derive(Debug, Clone, Queryable)]
pub struct UserRow {
    pub id: i64,
    pub organization_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub locale: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Goes up when the password, role or standing changes; older access tokens are refused.
    pub token_version: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub organization_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub locale: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Changes to a user; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<String>,
    pub locale: Option<String>,
    pub active: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Default)]
pub struct UserFilter {
    pub organization_id: Option<OrganizationId>,
    pub role: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: &NewUser) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::all_columns)
        .get_result(conn)
}

pub fn update(conn: &mut DbConnection, id: UserId, changes: &UserChanges) -> QueryResult<UserRow> {
    diesel::update(users::table.find(id.0))
        .set(changes)
        .returning(users::all_columns)
        .get_result(conn)
}

/// Makes every access token signed so far for the user stale.
pub fn bump_token_version(conn: &mut DbConnection, id: UserId) -> QueryResult<usize> {
    diesel::update(users::table.find(id.0))
        .set(users::token_version.eq(users::token_version + 1))
        .execute(conn)
}

pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    crate::native!(conn, c => users::table.find(id.0).first(c).optional())
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email.to_lowercase()))
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.order(users::id).into_boxed();
    if let Some(org) = filter.organization_id {
        query = query.filter(users::organization_id.eq(org.0));
    }
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(a) = after {
        query = query.filter(users::id.gt(a));
    }
    query.limit(limit).load(conn)
}

/// The ids among `ids` that are active operators of `org`.
pub fn operators_of(
    conn: &mut DbConnection,
    org: OrganizationId,
    ids: &[i64],
) -> QueryResult<Vec<i64>> {
    users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .filter(users::organization_id.eq(org.0))
        .filter(users::role.eq("operator"))
        .filter(users::active.eq(true))
        .select(users::id)
        .load(conn)
}
