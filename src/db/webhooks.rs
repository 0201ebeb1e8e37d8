//! Webhook subscriptions, their deliveries and each delivery's attempts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::DbConnection;
use super::schema::{webhook_attempts, webhook_deliveries, webhooks};

#[derive(Debug, Clone, Queryable)]
pub struct WebhookRow {
    pub id: i64,
    pub organization_id: i64,
    pub url: String,
    /// Comma-separated event types, or `*`.
    pub events: String,
    pub description: String,
    pub secret_sealed: String,
    /// `active` or `paused`.
    pub status: String,
    pub paused_reason: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook {
    pub organization_id: i64,
    pub url: String,
    pub events: String,
    pub description: String,
    pub secret_sealed: String,
    pub status: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What an update sets; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<String>,
    pub description: Option<String>,
    pub secret_sealed: Option<String>,
    pub status: Option<String>,
    pub paused_reason: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, new: &NewWebhook) -> QueryResult<WebhookRow> {
    diesel::insert_into(webhooks::table)
        .values(new)
        .returning(webhooks::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<WebhookRow>> {
    webhooks::table.find(id).first(conn).optional()
}

/// Subscriptions of `org` (all of them when None), in id order after `after`.
pub fn list(
    conn: &mut DbConnection,
    org: Option<i64>,
    (after, limit): (Option<i64>, i64),
) -> QueryResult<Vec<WebhookRow>> {
    let mut q = webhooks::table
        .filter(webhooks::id.gt(after.unwrap_or(0)))
        .order(webhooks::id)
        .limit(limit)
        .into_boxed();
    if let Some(org) = org {
        q = q.filter(webhooks::organization_id.eq(org));
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &WebhookChanges,
) -> QueryResult<WebhookRow> {
    diesel::update(webhooks::table.find(id))
        .set(changes)
        .returning(webhooks::all_columns)
        .get_result(conn)
}

/// Pauses an active subscription; false when it was paused (or gone) already.
pub fn pause(
    conn: &mut DbConnection,
    id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(webhooks::table.find(id))
        .filter(webhooks::status.eq("active"))
        .set((
            webhooks::status.eq("paused"),
            webhooks::paused_reason.eq(reason),
            webhooks::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Deletes a subscription with its deliveries and their attempts.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let deliveries = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .select(webhook_deliveries::id);
    diesel::delete(
        webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
    )
    .execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

/// The subscriptions of these organisations, each with its organisation and event types.
pub fn subscribers(conn: &mut DbConnection, orgs: &[i64]) -> QueryResult<Vec<(i64, i64, String)>> {
    webhooks::table
        .filter(webhooks::organization_id.eq_any(orgs))
        .select((webhooks::id, webhooks::organization_id, webhooks::events))
        .order(webhooks::id)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event_key: String,
    /// The `webhook-id` of every attempt.
    pub message_id: String,
    pub event_type: String,
    pub ordering_key: Option<String>,
    pub payload: String,
    /// `pending`, `sending`, `delivered` or `failed` (parked).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub claim_token: Option<String>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub struct NewDelivery<'a> {
    pub webhook_id: i64,
    pub event_key: &'a str,
    pub event_type: &'a str,
    pub ordering_key: Option<&'a str>,
    pub payload: &'a str,
    pub at: NaiveDateTime,
}

/// Queues one event for one subscription; nothing when that event was queued for it before.
pub fn enqueue(conn: &mut DbConnection, d: &NewDelivery<'_>) -> QueryResult<bool> {
    let insert = diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::webhook_id.eq(d.webhook_id),
            webhook_deliveries::event_key.eq(d.event_key),
            webhook_deliveries::message_id.eq(format!("msg_{}", uuid::Uuid::new_v4().simple())),
            webhook_deliveries::event_type.eq(d.event_type),
            webhook_deliveries::ordering_key.eq(d.ordering_key),
            webhook_deliveries::payload.eq(d.payload),
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::next_attempt_at.eq(d.at),
            webhook_deliveries::created_at.eq(d.at),
        ))
        .on_conflict((
            webhook_deliveries::webhook_id,
            webhook_deliveries::event_key,
        ))
        .do_nothing();
    // Per backend: the multi-backend query builder has no ON CONFLICT.
    let n = match conn {
        DbConnection::Postgresql(pg) => insert.execute(pg)?,
        DbConnection::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(n == 1)
}

/// Claims up to `limit` due deliveries of active subscriptions under `token` until `until`, and
/// those whose claim lapsed. A delivery waits while an earlier one of the same subscription and
/// ordering key (a booking) is still to go, so a booking's events arrive in order.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    (token, until): (&str, NaiveDateTime),
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let (p, lock, lock_d) = match conn {
        DbConnection::Postgresql(_) => {
            ("$", "FOR UPDATE SKIP LOCKED", "FOR UPDATE OF d SKIP LOCKED")
        }
        DbConnection::Sqlite(_) => ("?", "", ""),
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET status = 'sending', lease_until = {p}2, claim_token = {p}4, \
         attempts = attempts + 1 \
         WHERE id IN (\
           SELECT id FROM (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= {p}1 AND w.status = 'active' \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id \
               AND e.ordering_key = d.ordering_key AND e.id < d.id \
               AND e.status IN ('pending', 'sending')) \
             ORDER BY d.next_attempt_at LIMIT {p}3 {lock_d}) AS due \
           UNION ALL \
           SELECT id FROM (SELECT id FROM webhook_deliveries \
             WHERE status = 'sending' AND lease_until <= {p}1 LIMIT {p}3 {lock}) AS lapsed \
           ORDER BY id LIMIT {p}3) \
         RETURNING *"
    );
    let mut rows: Vec<DeliveryRow> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(until)
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(token)
        .load(conn)?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Extends a claim's lease on every delivery it still holds.
pub fn renew(conn: &mut DbConnection, token: &str, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(webhook_deliveries::table)
        .filter(webhook_deliveries::status.eq("sending"))
        .filter(webhook_deliveries::claim_token.eq(token))
        .set(webhook_deliveries::lease_until.eq(until))
        .execute(conn)
}

/// How one attempt went.
pub struct Outcome<'a> {
    pub code: Option<i32>,
    pub error: Option<&'a str>,
    pub at: NaiveDateTime,
    pub duration_ms: i64,
}

/// Records an attempt under its claim: delivered, retried at `retry` or, when that is None,
/// parked as failed. False when the claim was lost to another dispatcher meanwhile.
pub fn record(
    conn: &mut DbConnection,
    (id, token): (i64, &str),
    outcome: &Outcome<'_>,
    retry: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let (status, next, delivered) = match (outcome.error, retry) {
        (None, _) => ("delivered", None, Some(outcome.at)),
        (Some(_), Some(t)) => ("pending", Some(t), None),
        (Some(_), None) => ("failed", None, None),
    };
    let held = webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::status.eq("sending"))
        .filter(webhook_deliveries::claim_token.eq(token));
    let n = diesel::update(held)
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::claim_token.eq(None::<String>),
            webhook_deliveries::last_status_code.eq(outcome.code),
            webhook_deliveries::last_error.eq(outcome.error),
            webhook_deliveries::delivered_at.eq(delivered),
        ))
        .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    if let Some(next) = next {
        diesel::update(webhook_deliveries::table.find(id))
            .set(webhook_deliveries::next_attempt_at.eq(next))
            .execute(conn)?;
    }
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(id),
            webhook_attempts::at.eq(outcome.at),
            webhook_attempts::status_code.eq(outcome.code),
            webhook_attempts::error.eq(outcome.error),
            webhook_attempts::duration_ms.eq(outcome.duration_ms),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A subscription's deliveries, newest first, before `before`.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook: i64,
    (before, limit): (Option<i64>, i64),
) -> QueryResult<Vec<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .filter(webhook_deliveries::id.lt(before.unwrap_or(i64::MAX)))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .load(conn)
}

pub fn find_delivery(
    conn: &mut DbConnection,
    webhook: i64,
    id: i64,
) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// The attempts at these deliveries, oldest first.
pub fn attempts(conn: &mut DbConnection, deliveries: &[i64]) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(deliveries))
        .order(webhook_attempts::id)
        .load(conn)
}

/// Queues a delivery again, now, with its attempts counted afresh; false when it is on its way.
pub fn redeliver(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(webhook_deliveries::table.find(id))
        .filter(webhook_deliveries::status.ne("sending"))
        .set((
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now),
            webhook_deliveries::delivered_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}
