//! Calendar feeds: a secret URL a calendar application polls without credentials. A feed shows
//! its owner's bookings, one resource's, or the owner's institution's, as far as the owner may
//! see them at the moment of each fetch: a feed whose owner lost the right answers nothing.

mod render;

use chrono::NaiveDateTime;

use crate::db::feeds::{self, FeedRow, NewFeed};
use crate::db::{DbConnection, resources, users};
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::types::Role;
use crate::error::ServiceError;

/// Feed tokens carry this prefix, so that one pasted in the wrong place is recognisable.
pub const TOKEN_PREFIX: &str = "cal_";

/// What a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The owner's own bookings.
    User,
    /// One resource's bookings; those of other organisations as busy time only.
    Resource,
    /// The bookings on the resources its manager or operator looks after.
    Institution,
}

impl Kind {
    pub const NAMES: &'static [&'static str] = &["user", "resource", "institution"];

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "user" => Some(Kind::User),
            "resource" => Some(Kind::Resource),
            "institution" => Some(Kind::Institution),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        Kind::NAMES[self as usize]
    }
}

/// True when the actor may follow an institution's calendar: its manager or operator.
fn staff_of_institution(actor: &Actor) -> bool {
    matches!(actor.role, Role::Manager | Role::Operator) && actor.org.is_some()
}

/// Creates a feed for the actor; returns it and its token, which is shown only now.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    (kind, resource): (Kind, Option<i64>),
    now: NaiveDateTime,
) -> Result<(FeedRow, String), ServiceError> {
    match (kind, resource) {
        (Kind::Resource, None) => {
            return Err(ServiceError::invalid_field(
                "resource_id",
                "is required for a resource's feed",
            ));
        }
        (Kind::User | Kind::Institution, Some(_)) => {
            return Err(ServiceError::invalid_field(
                "resource_id",
                "is only for a resource's feed; leave it out",
            ));
        }
        (Kind::Resource, Some(id)) => {
            resources::find(conn, ResourceId(id))?
                .ok_or_else(|| ServiceError::not_found("resource"))?;
        }
        (Kind::Institution, None) if !staff_of_institution(actor) => {
            return Err(ServiceError::forbidden(
                "only an institution's managers and operators follow its calendar",
            ));
        }
        _ => {}
    }
    let (token, digest) = crate::auth::new_token(TOKEN_PREFIX);
    let new = NewFeed {
        user_id: actor.id.0,
        kind: kind.as_str().to_owned(),
        resource_id: resource,
        token_hash: digest,
        created_at: now,
    };
    let row = feeds::insert(conn, &new)?;
    audit(conn, actor, &row, "calendar_feed.created", now)?;
    Ok((row, token))
}

fn audit(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &FeedRow,
    action: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let change = crate::audit::Change {
        subject: ("calendar_feed", row.id),
        action,
        owner: actor.org.map(|o| o.0),
        party: None,
        reason: None,
    };
    let shown = serde_json::json!({"kind": row.kind, "resource_id": row.resource_id, "user_id": row.user_id});
    let values = match action {
        "calendar_feed.created" => (None, Some(&shown)),
        _ => (Some(&shown), None),
    };
    crate::audit::record(conn, actor, change, values, now)
}

/// The actor's live feeds.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    (after, limit): (Option<i64>, i64),
) -> Result<Vec<FeedRow>, ServiceError> {
    Ok(feeds::list_for_user(conn, actor.id.0, after, limit)?)
}

/// One of the actor's live feeds.
pub fn find(conn: &mut DbConnection, actor: &Actor, id: i64) -> Result<FeedRow, ServiceError> {
    feeds::find_for_user(conn, id, actor.id.0)?
        .ok_or_else(|| ServiceError::not_found("calendar feed"))
}

/// Revokes one of the actor's feeds: its URL answers 404 from now on.
pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let row = find(conn, actor, id)?;
    feeds::revoke(conn, row.id, now)?;
    audit(conn, actor, &row, "calendar_feed.revoked", now)
}

/// The calendar behind a feed token at `now`; 404 for an unknown or revoked token, or one whose
/// owner may no longer see what it shows.
pub fn calendar(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<String, ServiceError> {
    let gone = || ServiceError::not_found("calendar feed");
    let feed =
        feeds::find_by_digest(conn, &crate::auth::digest_api_token(token))?.ok_or_else(gone)?;
    let owner = users::find(conn, crate::domain::ids::UserId(feed.user_id))?
        .filter(|u| u.active)
        .ok_or_else(gone)?;
    let owner = crate::accounts::actor_of(&owner)?;
    let kind = Kind::parse(&feed.kind)
        .ok_or_else(|| ServiceError::internal("stored feed kind is unknown"))?;
    if kind == Kind::Institution && !staff_of_institution(&owner) {
        return Err(gone());
    }
    render::calendar(conn, &owner, (kind, feed.resource_id), now)
}
