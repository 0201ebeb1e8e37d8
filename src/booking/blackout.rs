//! A blackout that collides with bookings: without a choice nothing is written and the bookings
//! are listed; the manager then cancels them (each booker gets the blackout's reason) or keeps them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::calendar::{instant, naive};
use super::{Step, log};
use crate::db::DbConnection;
use crate::db::blackouts::{BlackoutRow, NewBlackout};
use crate::db::bookings::{self, BookingRow};
use crate::domain::actor::Actor;
use crate::domain::availability::Instant;
use crate::domain::ids::ResourceId;
use crate::domain::types::BookingState;
use crate::error::{ErrorCode, ServiceError};

/// What to do with bookings a new blackout collides with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnCollision {
    Cancel,
    Keep,
}

#[derive(Debug, Serialize)]
pub struct Collision {
    pub booking_id: i64,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
    pub state: BookingState,
    /// `cancelled`, `kept`, or absent when nothing was decided yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
}

fn collision(b: &BookingRow, action: Option<&'static str>) -> Collision {
    Collision {
        booking_id: b.id,
        start: instant(b.start_at),
        end: instant(b.end_at),
        state: b.state,
        action,
    }
}

/// Adds a blackout to a resource its institution's manager may edit, settling the bookings it
/// collides with as `choice` says, and records it in the audit trail.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, start_at, end_at, reason): (ResourceId, NaiveDateTime, NaiveDateTime, String),
    choice: Option<OnCollision>,
    now: Instant,
) -> Result<(BlackoutRow, Vec<Collision>), ServiceError> {
    let view = crate::catalogue::editable_resource(conn, actor, id)?;
    let new = NewBlackout {
        resource_id: id.0,
        start_at,
        end_at,
        reason,
        created_by: actor.id.0,
        created_at: naive(now),
    };
    let (row, collisions) = add(conn, actor, new, choice, now)?;
    let change = crate::audit::Change {
        subject: ("blackout", row.id),
        action: "blackout.created",
        owner: Some(view.row.organization_id),
        party: None,
        reason: Some(&row.reason),
    };
    let blackout = serde_json::json!({
        "id": row.id,
        "resource_id": row.resource_id,
        "start": instant(row.start_at),
        "end": instant(row.end_at),
        "reason": row.reason,
        "created_by": row.created_by,
        "created_at": instant(row.created_at),
    });
    let after = serde_json::json!({"blackout": blackout, "collisions": &collisions});
    crate::audit::record(conn, actor, change, (None::<&()>, Some(&after)), naive(now))?;
    Ok((row, collisions))
}

/// Adds the blackout under the resource's lock, settling the bookings it collides with.
pub fn add(
    conn: &mut DbConnection,
    actor: &Actor,
    new: NewBlackout,
    choice: Option<OnCollision>,
    now: Instant,
) -> Result<(BlackoutRow, Vec<Collision>), ServiceError> {
    let id = ResourceId(new.resource_id);
    let longest = bookings::lock_resource(conn, id)?
        .ok_or_else(|| ServiceError::not_found("resource"))?
        .longest_block_min;
    let hit = colliding(conn, id, (new.start_at, new.end_at), longest, naive(now))?;
    let collisions = match (hit.is_empty(), choice) {
        (true, _) => Vec::new(),
        (false, None) => {
            let listed: Vec<Collision> = hit.iter().map(|b| collision(b, None)).collect();
            let mut err = ServiceError::new(
                ErrorCode::BlackoutCollides,
                format!(
                    "{} booking(s) fall in this blackout; send \"collisions\": \"cancel\" to cancel them (each booker is told your reason) or \"keep\" to keep them",
                    listed.len()
                ),
            );
            err.extra
                .insert("bookings".into(), serde_json::json!(listed));
            return Err(err);
        }
        (false, Some(OnCollision::Keep)) => keep_all(conn, actor, &hit, &new.reason, naive(now))?,
        (false, Some(OnCollision::Cancel)) => {
            cancel_all(conn, actor, &hit, &new.reason, naive(now))?
        }
    };
    let row = crate::db::blackouts::insert_blackout(conn, &new)?;
    Ok((row, collisions))
}

/// The bookings a blackout over `[from, to)` collides with: those holding the time, and the
/// requests waiting for it (waitlisted, or competing for an operator's choice), which the
/// blackout would leave waiting in vain.
fn colliding(
    conn: &mut DbConnection,
    id: ResourceId,
    (from, to): (NaiveDateTime, NaiveDateTime),
    longest: i32,
    now: NaiveDateTime,
) -> Result<Vec<BookingRow>, ServiceError> {
    let mut hit = bookings::blocking_between(conn, id, from, to, longest, now)?;
    let waiting = bookings::requests_between(conn, id, from, to, longest)?;
    let held: Vec<i64> = hit.iter().map(|b| b.id).collect();
    hit.extend(waiting.into_iter().filter(|b| !held.contains(&b.id)));
    Ok(hit)
}

/// Keeps the bookings; a booker whose request waits for time the blackout now covers is told.
fn keep_all(
    conn: &mut DbConnection,
    actor: &Actor,
    hit: &[BookingRow],
    reason: &str,
    at: NaiveDateTime,
) -> Result<Vec<Collision>, ServiceError> {
    for b in hit.iter().filter(|b| !b.blocking) {
        let step = Step {
            event: "blackout_over_request",
            from: Some(b.state),
            to: b.state,
        };
        log(conn, at, b.id, Some(actor.id), step, Some(reason))?;
    }
    Ok(hit.iter().map(|b| collision(b, Some("kept"))).collect())
}

fn cancel_all(
    conn: &mut DbConnection,
    actor: &Actor,
    hit: &[BookingRow],
    reason: &str,
    at: NaiveDateTime,
) -> Result<Vec<Collision>, ServiceError> {
    let mut out = Vec::new();
    for b in hit {
        if bookings::transition(
            conn,
            b.id,
            b.state,
            BookingState::Cancelled,
            false,
            false,
            at,
        )? {
            let step = Step {
                event: "cancelled_for_blackout",
                from: Some(b.state),
                to: BookingState::Cancelled,
            };
            log(conn, at, b.id, Some(actor.id), step, Some(reason))?;
            super::payment::release(conn, b, Some(actor.id), "cancelled for a blackout", at)?;
            out.push(collision(b, Some("cancelled")));
        }
    }
    Ok(out)
}
