//! Webhook subscriptions: an organisation's manager (an institution), issuer (an agency) or an
//! admin subscribes an endpoint to event types, and sees each delivery and its attempts. Secrets
//! are shown when made or rotated and kept sealed.

pub mod allocations;
pub mod deliveries;
pub mod events;
pub mod money;
pub mod post;
pub mod service_orders;

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::webhooks::{self as store, NewWebhook, WebhookChanges, WebhookRow};
use crate::domain::actor::Actor;
use crate::domain::seal::Sealer;
use crate::domain::types::Role;
use crate::domain::webhook::{self, check_events, check_url};
use crate::error::ServiceError;

/// What the key sealing webhook secrets is derived for, from the servers' shared secret.
pub const SEALING: &str = "instrument-booking webhook secrets";

/// How this server treats endpoints.
#[derive(Debug, Clone)]
pub struct Policy {
    pub sealer: Sealer,
    /// Deliver to loopback, private and link-local addresses (and over plain HTTP): for tests
    /// and closed networks only.
    pub allow_private: bool,
}

/// What a subscription is to be, as asked.
pub struct Asked {
    pub organization_id: Option<i64>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// `active` or `paused`.
    pub status: Option<String>,
}

/// The organisation whose subscriptions the actor manages: an admin names it, others have theirs.
fn owner_for(actor: &Actor, asked: Option<i64>) -> Result<i64, ServiceError> {
    if actor.is_admin() {
        return asked.ok_or_else(|| {
            ServiceError::invalid_field(
                "organization_id",
                "an admin names the organisation the subscription is for",
            )
        });
    }
    let own = match (actor.role, actor.org) {
        (Role::Manager | Role::Issuer, Some(org)) => org.0,
        _ => {
            return Err(ServiceError::forbidden(
                "only an organisation's managers or issuers, and admins, manage its webhooks",
            ));
        }
    };
    match asked {
        Some(other) if other != own => Err(ServiceError::forbidden(
            "you manage only your own organisation's webhooks",
        )),
        _ => Ok(own),
    }
}

/// A subscription the actor manages; 404 for any other, as if it did not exist.
pub fn find(conn: &mut DbConnection, actor: &Actor, id: i64) -> Result<WebhookRow, ServiceError> {
    let row = store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("webhook"))?;
    match owner_for(actor, Some(row.organization_id)) {
        Ok(_) => Ok(row),
        Err(_) => Err(ServiceError::not_found("webhook")),
    }
}

fn checked_url(policy: &Policy, url: &str) -> Result<String, ServiceError> {
    check_url(url.trim(), policy.allow_private)
        .map(|u| u.to_string())
        .map_err(|why| ServiceError::invalid_field("url", why))
}

fn checked_events(events: &[String]) -> Result<String, ServiceError> {
    check_events(events)
        .map(|e| e.join(","))
        .map_err(|why| ServiceError::invalid_field("events", why))
}

fn checked_description(text: Option<String>) -> Result<Option<String>, ServiceError> {
    match text {
        Some(t) if t.chars().count() > 500 => Err(ServiceError::invalid_field(
            "description",
            "must be at most 500 characters",
        )),
        other => Ok(other.map(|t| t.trim().to_owned())),
    }
}

/// Subscribes an endpoint; returns the subscription and its secret, shown only now.
pub fn create(
    conn: &mut DbConnection,
    (actor, policy): (&Actor, &Policy),
    asked: Asked,
    now: NaiveDateTime,
) -> Result<(WebhookRow, String), ServiceError> {
    let org = owner_for(actor, asked.organization_id)?;
    let url = checked_url(policy, asked.url.as_deref().unwrap_or_default())?;
    let events = checked_events(&asked.events.unwrap_or_default())?;
    crate::db::organizations::find(conn, crate::domain::ids::OrganizationId(org))?
        .ok_or_else(|| ServiceError::not_found("organisation"))?;
    let secret = webhook::new_secret();
    let new = NewWebhook {
        organization_id: org,
        url,
        events,
        description: checked_description(asked.description)?.unwrap_or_default(),
        secret_sealed: policy.sealer.seal(&secret),
        status: "active".into(),
        created_by: actor.id.0,
        created_at: now,
        updated_at: now,
    };
    let row = store::insert(conn, &new)?;
    audit(
        conn,
        actor,
        (&row, "webhook.created"),
        (None, Some(&row)),
        now,
    )?;
    Ok((row, secret))
}

/// The subscriptions the actor manages: an admin's of `org`, or all; others' of their own.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    org: Option<i64>,
    page: (Option<i64>, i64),
) -> Result<Vec<WebhookRow>, ServiceError> {
    let org = match actor.is_admin() {
        true => org,
        false => Some(owner_for(actor, org)?),
    };
    Ok(store::list(conn, org, page)?)
}

/// Changes a subscription's URL, events, description or status; resuming clears why it paused.
pub fn update(
    conn: &mut DbConnection,
    (actor, policy): (&Actor, &Policy),
    id: i64,
    asked: Asked,
    now: NaiveDateTime,
) -> Result<WebhookRow, ServiceError> {
    let before = find(conn, actor, id)?;
    if asked
        .organization_id
        .is_some_and(|o| o != before.organization_id)
    {
        return Err(ServiceError::invalid_field(
            "organization_id",
            "a subscription cannot move to another organisation",
        ));
    }
    let status = match asked.status.as_deref() {
        None => None,
        Some(s @ ("active" | "paused")) => Some(s.to_owned()),
        Some(_) => {
            return Err(ServiceError::invalid_field(
                "status",
                "must be active or paused",
            ));
        }
    };
    let changes = WebhookChanges {
        url: asked
            .url
            .as_deref()
            .map(|u| checked_url(policy, u))
            .transpose()?,
        events: asked.events.as_deref().map(checked_events).transpose()?,
        description: checked_description(asked.description)?,
        paused_reason: match status.as_deref() {
            Some("active") => Some(None),
            Some(_) => Some(Some("paused by its owner".into())),
            None => None,
        },
        status,
        secret_sealed: None,
        updated_at: Some(now),
    };
    let after = store::update(conn, id, &changes)?;
    audit(
        conn,
        actor,
        (&after, "webhook.updated"),
        (Some(&before), Some(&after)),
        now,
    )?;
    Ok(after)
}

/// A new secret for a subscription, in use from the next attempt on; shown only now.
pub fn rotate(
    conn: &mut DbConnection,
    (actor, policy): (&Actor, &Policy),
    id: i64,
    now: NaiveDateTime,
) -> Result<(WebhookRow, String), ServiceError> {
    let before = find(conn, actor, id)?;
    let secret = webhook::new_secret();
    let changes = WebhookChanges {
        secret_sealed: Some(policy.sealer.seal(&secret)),
        updated_at: Some(now),
        ..WebhookChanges::default()
    };
    let after = store::update(conn, id, &changes)?;
    audit(
        conn,
        actor,
        (&after, "webhook.secret_rotated"),
        (Some(&before), Some(&after)),
        now,
    )?;
    Ok((after, secret))
}

/// Deletes a subscription with its deliveries.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let before = find(conn, actor, id)?;
    store::delete(conn, id)?;
    audit(
        conn,
        actor,
        (&before, "webhook.deleted"),
        (Some(&before), None),
        now,
    )
}

/// What the audit trail keeps of a subscription: never its secret, sealed or not.
fn shown(row: &WebhookRow) -> serde_json::Value {
    serde_json::json!({"url": row.url, "events": row.events, "description": row.description, "status": row.status})
}

fn audit(
    conn: &mut DbConnection,
    actor: &Actor,
    (row, action): (&WebhookRow, &str),
    (before, after): (Option<&WebhookRow>, Option<&WebhookRow>),
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let change = crate::audit::Change {
        subject: ("webhook", row.id),
        action,
        owner: Some(row.organization_id),
        party: None,
        reason: None,
    };
    let (b, a) = (before.map(shown), after.map(shown));
    crate::audit::record(conn, actor, change, (b.as_ref(), a.as_ref()), now)
}
