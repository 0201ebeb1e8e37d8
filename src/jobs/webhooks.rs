//! Delivers webhook events: claims due deliveries under a lease, POSTs each signed as Standard
//! Webhooks has it, and records every attempt. A failed attempt is retried with exponential
//! backoff; the last one parks the delivery and pauses its subscription, whose owner is told.
//! A dispatcher that dies mid-attempt leaves its lease to expire and the delivery is tried again
//! under the same `webhook-id`, which is the only duplicate a crash can cause.

use std::convert::Infallible;
use std::time::Duration as StdDuration;

use chrono::Duration;
use futures_util::future::join_all;

use super::outbox::{Delivered, Retry};
use crate::db::webhooks::{self as store, DeliveryRow, Outcome, WebhookRow};
use crate::db::{Db, DbConnection, truncate};
use crate::domain::availability::Instant;
use crate::domain::seal::Sealer;
use crate::domain::webhook::signature;
use crate::error::ServiceError;
use crate::webhooks::post::{Attempt, Poster};

/// How many deliveries one dispatcher attempts at once: each holds a blocking thread while its
/// endpoint answers, so a slow endpoint costs at most this much.
pub const IN_FLIGHT: usize = 8;
/// How long an endpoint may take to answer by default.
pub const TIMEOUT_SECONDS: u64 = 10;

/// Who delivers, and how.
#[derive(Clone)]
pub struct Deliverer {
    pub poster: Poster,
    pub sealer: Sealer,
    pub retry: Retry,
}

/// A claimed delivery with its subscription, if that still exists.
type Claimed = (DeliveryRow, Option<WebhookRow>);

/// One run at `now`: claims up to [`IN_FLIGHT`] due deliveries, attempts them at once while
/// renewing the claim, and records every outcome in one write.
pub async fn run(db: &Db, d: &Deliverer, now: Instant) -> Result<Delivered, ServiceError> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let until = truncate((now + Duration::seconds(d.retry.lease_seconds)).naive_utc());
    let at = truncate(now.naive_utc());
    let claimed: Vec<Claimed> = db
        .write({
            let token = token.clone();
            move |conn| {
                let rows = store::claim(conn, at, (&token, until), IN_FLIGHT as i64)?;
                // Each subscription read once, however many of its deliveries the claim holds.
                let mut hooks = std::collections::HashMap::new();
                for r in &rows {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        hooks.entry(r.webhook_id)
                    {
                        slot.insert(store::find(conn, r.webhook_id)?);
                    }
                }
                Ok::<_, ServiceError>(
                    rows.into_iter()
                        .map(|r| {
                            let hook = hooks[&r.webhook_id].clone();
                            (r, hook)
                        })
                        .collect::<Vec<_>>(),
                )
            }
        })
        .await?;
    if claimed.is_empty() {
        return Ok(Delivered::default());
    }
    let attempts = join_all(claimed.iter().map(|c| attempt(d, c, now)));
    let outcomes = tokio::select! {
        outcomes = attempts => outcomes,
        never = renewing(db, &token, d.retry.lease_seconds, now) => match never {},
    };
    let done = tally(d.retry, &claimed, &outcomes, now);
    let results: Vec<(Claimed, Attempt)> = claimed.into_iter().zip(outcomes).collect();
    let retry = d.retry;
    let write = move |conn: &mut DbConnection| record(conn, retry, (&results, &token), now);
    if let Err(e) = super::lease::persist(db, write).await {
        // The claim lapses and the deliveries are tried again: duplicates, never a loss.
        tracing::error!(error = %e, "webhook attempts could not be recorded");
    }
    Ok(done)
}

async fn renewing(db: &Db, token: &str, lease_seconds: i64, now: Instant) -> Infallible {
    let token = token.to_owned();
    let renew = move |conn: &mut DbConnection, until| store::renew(conn, &token, until);
    super::lease::keep(db, lease_seconds, now, renew).await
}

/// One signed POST, on a blocking thread.
async fn attempt(d: &Deliverer, (delivery, hook): &Claimed, now: Instant) -> Attempt {
    let failed = |why: String| Attempt {
        code: None,
        error: Some(why),
        took: StdDuration::ZERO,
    };
    let Some(hook) = hook else {
        return failed("the subscription is gone".into());
    };
    let secret = match d.sealer.open(&hook.secret_sealed) {
        Ok(s) => s,
        Err(e) => return failed(format!("the signing secret cannot be opened: {e}")),
    };
    let stamp = now.timestamp();
    let signed = match signature(&secret, &delivery.message_id, stamp, &delivery.payload) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let headers = vec![
        ("webhook-id", delivery.message_id.clone()),
        ("webhook-timestamp", stamp.to_string()),
        ("webhook-signature", signed),
    ];
    let (poster, url, body) = (d.poster.clone(), hook.url.clone(), delivery.payload.clone());
    let sent = tokio::task::spawn_blocking(move || poster.post(&url, &headers, &body)).await;
    let outcome = sent.unwrap_or_else(|e| failed(format!("the attempt panicked: {e}")));
    if let Some(e) = &outcome.error {
        tracing::warn!(delivery = delivery.id, webhook = hook.id, error = %e, "webhook attempt failed");
    }
    outcome
}

fn tally(retry: Retry, claimed: &[Claimed], outcomes: &[Attempt], now: Instant) -> Delivered {
    let mut done = Delivered::default();
    for ((row, _), outcome) in claimed.iter().zip(outcomes) {
        match &outcome.error {
            None => done.sent += 1,
            Some(_) if retry.next(row.attempts, now).is_some() => done.retrying += 1,
            Some(_) => done.failed += 1,
        }
    }
    done
}

/// Writes each attempt; a parked delivery pauses its subscription and tells its owner.
fn record(
    conn: &mut DbConnection,
    retry: Retry,
    (results, token): (&[(Claimed, Attempt)], &str),
    now: Instant,
) -> Result<(), ServiceError> {
    let at = truncate(now.naive_utc());
    for ((row, hook), attempt) in results {
        let outcome = Outcome {
            code: attempt.code,
            error: attempt.error.as_deref(),
            at,
            duration_ms: i64::try_from(attempt.took.as_millis()).unwrap_or(i64::MAX),
        };
        let next = retry
            .next(row.attempts, now)
            .map(|t| truncate(t.naive_utc()));
        let held = store::record(conn, (row.id, token), &outcome, next)?;
        if let (true, Some(why), None, Some(hook)) = (held, &attempt.error, next, hook) {
            let reason = format!(
                "delivery {} failed {} times; the last: {why}",
                row.id, row.attempts
            );
            if store::pause(conn, hook.id, &reason, at)? {
                let paused = store::find(conn, hook.id)?.unwrap_or_else(|| hook.clone());
                crate::notify::webhooks::paused(conn, &paused, why, at)?;
            }
        }
    }
    Ok(())
}
