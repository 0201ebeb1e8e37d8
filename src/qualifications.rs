//! Qualifications for self-operation: granted and revoked by a resource's operators and
//! managers; users see their own, staff those of the resources they run. Each grant or
//! revocation re-judges the user's upcoming bookings of the resource.

use chrono::NaiveDateTime;

use crate::booking::operation::reassess;
use crate::db::qualifications::{self as store, Filter, NewQualification, QualificationRow};
use crate::db::{DbConnection, resources, users};
use crate::domain::actor::Actor;
use crate::domain::ids::{ResourceId, UserId};
use crate::error::ServiceError;

/// The resource's institution when `actor` runs the resource (operator of it, its institution's
/// manager, admin).
fn staff_resource(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ResourceId,
) -> Result<i64, ServiceError> {
    let view = resources::find(conn, id)?
        .ok_or_else(|| ServiceError::invalid_field("resource_id", "no such resource"))?;
    if crate::booking::is_staff(conn, actor, &view)? {
        Ok(view.row.organization_id)
    } else {
        Err(ServiceError::forbidden(
            "only the resource's operators and managers grant qualifications",
        ))
    }
}

/// Grants `user` self-operation of `resource` until `expires_at`.
pub fn grant(
    conn: &mut DbConnection,
    actor: &Actor,
    (user, resource): (UserId, ResourceId),
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<QualificationRow, ServiceError> {
    if expires_at <= now {
        return Err(ServiceError::invalid_field(
            "expires_at",
            "must be in the future",
        ));
    }
    let owner = staff_resource(conn, actor, resource)?;
    if users::find(conn, user)?.is_none() {
        return Err(ServiceError::invalid_field("user_id", "no such user"));
    }
    let new = NewQualification {
        user,
        resource,
        granted_by: actor.id,
        expires_at,
        at: now,
    };
    let row = store::insert(conn, &new)?;
    audited(conn, actor, (&row, "qualification.granted"), owner, now)?;
    reassess(conn, (user, resource), actor.id, now)?;
    Ok(row)
}

/// A page of qualifications: of `resource` (for its staff, optionally of one user), or else the
/// caller's own.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    (resource, user): (Option<ResourceId>, Option<UserId>),
    (after, limit): (Option<i64>, i64),
) -> Result<Vec<QualificationRow>, ServiceError> {
    let filter = match resource {
        Some(r) => {
            staff_resource(conn, actor, r)?;
            Filter::Resource(r, user)
        }
        None => Filter::User(actor.id),
    };
    Ok(store::list(conn, filter, after, limit)?)
}

/// Revokes a qualification; one of a resource the caller does not run is not found.
pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<QualificationRow, ServiceError> {
    let found = store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("qualification"))?;
    let owner = staff_resource(conn, actor, ResourceId(found.resource_id))
        .map_err(|_| ServiceError::not_found("qualification"))?;
    let row = store::revoke(conn, id, now)?;
    audited(conn, actor, (&row, "qualification.revoked"), owner, now)?;
    let whose = (UserId(row.user_id), ResourceId(row.resource_id));
    reassess(conn, whose, actor.id, now)?;
    Ok(row)
}

/// Records a grant or a revocation: whose qualification, for which resource, until when.
fn audited(
    conn: &mut DbConnection,
    actor: &Actor,
    (row, action): (&QualificationRow, &str),
    owner: i64,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let change = crate::audit::Change {
        subject: ("qualification", row.id),
        action,
        owner: Some(owner),
        party: None,
        reason: None,
    };
    let state = serde_json::json!({
        "user_id": row.user_id,
        "resource_id": row.resource_id,
        "expires_at": row.expires_at.and_utc(),
        "revoked_at": row.revoked_at.map(|t| t.and_utc()),
    });
    crate::audit::record(conn, actor, change, (None::<&()>, Some(&state)), now)
}
