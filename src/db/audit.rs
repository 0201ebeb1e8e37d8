//! The audit trail: one append-only row per change (the database refuses updates and deletes).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::audit_events as a;

#[derive(Debug, Clone, Queryable)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    pub party_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = a)]
pub struct NewAudit {
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    pub party_id: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, new: &NewAudit) -> QueryResult<()> {
    diesel::insert_into(a::table)
        .values(new)
        .execute(conn)
        .map(|_| ())
}

/// Which records to read: of some organisations (none for all), and optional filters.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub organizations: Option<Vec<i64>>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Up to `limit` records matching `f` with ids after `after`, oldest first.
pub fn list(
    conn: &mut DbConnection,
    f: &AuditFilter,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = a::table.order(a::id).into_boxed();
    if let Some(orgs) = &f.organizations {
        q = q.filter(
            a::organization_id
                .eq_any(orgs.clone())
                .or(a::party_id.eq_any(orgs.clone())),
        );
    }
    if let Some(kind) = &f.subject_kind {
        q = q.filter(a::subject_kind.eq(kind.clone()));
    }
    if let Some(id) = f.subject_id {
        q = q.filter(a::subject_id.eq(id));
    }
    if let Some(action) = &f.action {
        q = q.filter(a::action.eq(action.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(a::at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(a::at.lt(to));
    }
    if let Some(after) = after {
        q = q.filter(a::id.gt(after));
    }
    q.limit(limit).load(conn)
}
