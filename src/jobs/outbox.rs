//! Delivers the outbox: claims due messages under a lease, sends each, and records the result.
//! A failed attempt is retried with exponential backoff and parked as `failed` after the last
//! allowed attempt; a dispatcher that dies mid-send leaves its lease to expire, and the message is
//! claimed again (the only duplicate a crash can cause, and it carries the same Message-ID).

use chrono::Duration;
use futures_util::{StreamExt, TryStreamExt, stream};
use lettre::message::Mailbox;

use crate::db::outbox::{self, MessageRow};
use crate::db::{Db, truncate};
use crate::domain::availability::Instant;
use crate::error::ServiceError;
use crate::mail::{self, Mailer};

/// How many messages one run claims at most.
pub const BATCH: i64 = 100;
/// How many messages one dispatcher sends at once.
pub const IN_FLIGHT: usize = 8;
/// How long a claim lasts by default before another dispatcher may take the message over.
pub const LEASE_SECONDS: i64 = 120;

/// How deliveries are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts before a message is parked as failed.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles after each further one, up to an hour.
    pub first_backoff_seconds: i64,
    /// How long a claim lasts: a dispatcher that dies holding messages delays them this long.
    pub lease_seconds: i64,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            max_attempts: 8,
            first_backoff_seconds: 10,
            lease_seconds: LEASE_SECONDS,
        }
    }
}

impl Retry {
    /// When to try again after `attempts` failures, or None when the message is to be parked.
    pub fn next(&self, attempts: i32, now: Instant) -> Option<Instant> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
        let wait = self
            .first_backoff_seconds
            .saturating_mul(1_i64 << doublings)
            .min(3600);
        Some(now + Duration::seconds(wait))
    }
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Who messages come from.
#[derive(Clone)]
pub struct Sender {
    pub mailer: Mailer,
    pub from: Mailbox,
    pub retry: Retry,
}

/// One run of the dispatcher at `now`.
pub async fn run(db: &Db, sender: &Sender, now: Instant) -> Result<Delivered, ServiceError> {
    let at = truncate(now.naive_utc());
    let lease = truncate((now + Duration::seconds(sender.retry.lease_seconds)).naive_utc());
    let claimer = db.clone();
    let claimed = tokio::task::spawn_blocking(move || {
        claimer.write_blocking(|conn| {
            outbox::claim(conn, at, lease, BATCH).map_err(ServiceError::from)
        })
    })
    .await
    .map_err(ServiceError::internal)??;
    // Several messages in flight at once: an SMTP exchange is mostly waiting on round trips.
    let outcomes: Vec<(MessageRow, Result<(), String>)> = stream::iter(claimed)
        .map(|row| async move {
            let outcome = match mail::compose(&row, &sender.from) {
                Ok(message) => sender.mailer.send(&message).await,
                Err(e) => Err(e),
            };
            record(db, sender.retry, &row, lease, outcome.clone(), now).await?;
            Ok::<_, ServiceError>((row, outcome))
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    let mut done = Delivered::default();
    for (row, outcome) in &outcomes {
        match outcome {
            Ok(()) => done.sent += 1,
            Err(_) if sender.retry.next(row.attempts, now).is_some() => done.retrying += 1,
            Err(_) => done.failed += 1,
        }
    }
    Ok(done)
}

/// Records one message's outcome as soon as it is known, so a crash resends at most the
/// messages that were in flight.
async fn record(
    db: &Db,
    retry: Retry,
    row: &MessageRow,
    lease: chrono::NaiveDateTime,
    outcome: Result<(), String>,
    now: Instant,
) -> Result<(), ServiceError> {
    let (db, id, attempts) = (db.clone(), row.id, row.attempts);
    let at = truncate(now.naive_utc());
    if let Err(e) = &outcome {
        tracing::warn!(message = id, attempts, error = %e, "delivery failed");
    }
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|conn| -> Result<(), ServiceError> {
            match outcome {
                Ok(()) => outbox::mark_sent(conn, id, lease, at)?,
                Err(e) => {
                    let retry_at = retry.next(attempts, now).map(|t| truncate(t.naive_utc()));
                    outbox::mark_failed(conn, id, lease, &e, retry_at)?
                }
            };
            Ok(())
        })
    })
    .await
    .map_err(ServiceError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_parks() {
        let r = Retry {
            max_attempts: 4,
            ..Retry::default()
        };
        let now: Instant = "2026-12-01T00:00:00Z".parse().unwrap();
        let waits: Vec<i64> = (1..4)
            .map(|a| (r.next(a, now).unwrap() - now).num_seconds())
            .collect();
        assert_eq!(waits, vec![10, 20, 40]);
        assert_eq!(r.next(4, now), None, "parked after the last attempt");
        let long = Retry {
            max_attempts: 100,
            ..Retry::default()
        };
        assert_eq!((long.next(30, now).unwrap() - now).num_seconds(), 3600);
    }
}
