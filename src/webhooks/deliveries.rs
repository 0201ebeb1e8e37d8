//! What a subscription's owner sees of its deliveries, and queues again.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::webhooks::{self as store, AttemptRow, DeliveryRow};
use crate::domain::actor::Actor;
use crate::error::{ErrorCode, ServiceError};

/// A subscription's deliveries, newest first, each with its attempts.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    page: (Option<i64>, i64),
) -> Result<Vec<(DeliveryRow, Vec<AttemptRow>)>, ServiceError> {
    super::find(conn, actor, id)?;
    let rows = store::deliveries(conn, id, page)?;
    with_attempts(conn, rows)
}

fn with_attempts(
    conn: &mut DbConnection,
    rows: Vec<DeliveryRow>,
) -> Result<Vec<(DeliveryRow, Vec<AttemptRow>)>, ServiceError> {
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let mut attempts = store::attempts(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let (mine, rest) = attempts.drain(..).partition(|a| a.delivery_id == d.id);
            attempts = rest;
            (d, mine)
        })
        .collect())
}

/// Queues a delivery again now (it keeps its `webhook-id`, so a receiver that had it can tell).
pub fn redeliver(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, delivery): (i64, i64),
    now: NaiveDateTime,
) -> Result<(DeliveryRow, Vec<AttemptRow>), ServiceError> {
    super::find(conn, actor, id)?;
    store::find_delivery(conn, id, delivery)?.ok_or_else(|| ServiceError::not_found("delivery"))?;
    if !store::redeliver(conn, delivery, now)? {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            "the delivery is being attempted right now",
        ));
    }
    let row = store::find_delivery(conn, id, delivery)?
        .ok_or_else(|| ServiceError::not_found("delivery"))?;
    Ok(with_attempts(conn, vec![row])?.remove(0))
}
