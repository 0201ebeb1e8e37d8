//! Qualifications for self-operation: who may run a resource alone, until when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::qualifications as q;
use crate::domain::ids::{ResourceId, UserId};

#[derive(Debug, Clone, Queryable)]
pub struct QualificationRow {
    pub id: i64,
    pub user_id: i64,
    pub resource_id: i64,
    pub granted_by: i64,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A qualification to grant.
pub struct NewQualification {
    pub user: UserId,
    pub resource: ResourceId,
    pub granted_by: UserId,
    pub expires_at: NaiveDateTime,
    pub at: NaiveDateTime,
}

/// Which qualifications to list: of one resource (and optionally one user), or of one user.
pub enum Filter {
    Resource(ResourceId, Option<UserId>),
    User(UserId),
}

pub fn insert(conn: &mut DbConnection, new: &NewQualification) -> QueryResult<QualificationRow> {
    diesel::insert_into(q::table)
        .values((
            q::user_id.eq(new.user.0),
            q::resource_id.eq(new.resource.0),
            q::granted_by.eq(new.granted_by.0),
            q::expires_at.eq(new.expires_at),
            q::created_at.eq(new.at),
        ))
        .returning(q::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<QualificationRow>> {
    q::table.find(id).first(conn).optional()
}

pub fn revoke(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
) -> QueryResult<QualificationRow> {
    diesel::update(q::table.find(id))
        .set(q::revoked_at.eq(at))
        .returning(q::all_columns)
        .get_result(conn)
}

/// Up to `limit` qualifications matching `filter` with ids after `after`, in id order.
pub fn list(
    conn: &mut DbConnection,
    filter: Filter,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<QualificationRow>> {
    let mut query = q::table.order(q::id).into_boxed();
    match filter {
        Filter::Resource(r, user) => {
            query = query.filter(q::resource_id.eq(r.0));
            if let Some(u) = user {
                query = query.filter(q::user_id.eq(u.0));
            }
        }
        Filter::User(u) => query = query.filter(q::user_id.eq(u.0)),
    }
    if let Some(a) = after {
        query = query.filter(q::id.gt(a));
    }
    query.limit(limit).load(conn)
}

/// Whether `user` holds an unrevoked qualification for `resource` that lasts until `until`.
pub fn holds(
    conn: &mut DbConnection,
    user: UserId,
    resource: ResourceId,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let found: Option<i64> = q::table
        .filter(q::user_id.eq(user.0))
        .filter(q::resource_id.eq(resource.0))
        .filter(q::revoked_at.is_null())
        .filter(q::expires_at.ge(until))
        .select(q::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}
