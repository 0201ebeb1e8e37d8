//! The audit trail of every change a person makes to what others rely on: rates, rules, hours,
//! blackouts and status of resources; users and organisations; programmes and vouchers;
//! allocation and qualification decisions. Each is recorded in the transaction of the change,
//! with who, when, what before and after, and why. Admins read all of it, managers their
//! institution's and issuers their agency's.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::audit::{self as store, AuditFilter, AuditRow, NewAudit};
use crate::domain::actor::Actor;
use crate::domain::types::Role;
use crate::error::ServiceError;

/// One change, as it will be recorded.
pub struct Change<'a> {
    /// What changed: its kind (`resource`, `voucher`, …) and id.
    pub subject: (&'a str, i64),
    /// What was done, such as `resource.updated` or `voucher.suspended`.
    pub action: &'a str,
    /// Whose record it is: the organisation whose staff may read it.
    pub owner: Option<i64>,
    /// A second organisation that reads it too, such as a statement's issuing agency.
    pub party: Option<i64>,
    pub reason: Option<&'a str>,
}

/// Records `change` made by `actor`, with the subject as it was and as it is now.
pub fn record<B: Serialize, A: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    change: Change<'_>,
    (before, after): (Option<&B>, Option<&A>),
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let before = before
        .map(serde_json::to_string)
        .transpose()
        .map_err(ServiceError::internal)?;
    let after = after
        .map(serde_json::to_string)
        .transpose()
        .map_err(ServiceError::internal)?;
    let new = NewAudit {
        at,
        // The command line acts as the platform, which is no user.
        actor_id: (actor.id.0 > 0).then_some(actor.id.0),
        organization_id: change.owner,
        party_id: change.party,
        subject_kind: change.subject.0.to_owned(),
        subject_id: change.subject.1,
        action: change.action.to_owned(),
        before_json: before,
        after_json: after,
        reason: change.reason.map(str::to_owned),
    };
    Ok(store::insert(conn, &new)?)
}

/// A page of the records `actor` may read that match `filter`.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    mut filter: AuditFilter,
    (after, limit): (Option<i64>, i64),
) -> Result<Vec<AuditRow>, ServiceError> {
    filter.organizations = match actor.role {
        Role::Admin => None,
        Role::Manager | Role::Issuer => Some(actor.org.map(|o| o.0).into_iter().collect()),
        _ => {
            return Err(ServiceError::forbidden(
                "the audit trail is for admins, managers and issuers",
            ));
        }
    };
    Ok(store::list(conn, &filter, after, limit)?)
}
