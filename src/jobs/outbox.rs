//! Delivers the outbox: claims due messages under a lease, sends each, and records the result.
//! A failed attempt is retried with exponential backoff and parked as `failed` after the last
//! allowed attempt; a dispatcher that dies mid-send leaves its lease to expire, and the message is
//! claimed again (the only duplicate a crash can cause, and it carries the same Message-ID).

use std::convert::Infallible;
use std::time::Duration as StdDuration;

use chrono::Duration;
use futures_util::future::join_all;
use lettre::message::Mailbox;

use crate::db::outbox::{self, Claim, MessageHead, MessageRow};
use crate::db::{Db, truncate};
use crate::domain::availability::Instant;
use crate::error::ServiceError;
use crate::mail::{self, Mailer};

/// How many messages one dispatcher claims and sends at once. A claim is no larger than what is
/// in flight, so no message waits under one server's claim while another server is idle.
pub const IN_FLIGHT: usize = 16;
/// How long a claim lasts by default before another dispatcher may take the message over.
pub const LEASE_SECONDS: i64 = 120;
/// How long one message's whole SMTP exchange may take by default before it counts as failed.
pub const SEND_TIMEOUT_SECONDS: u64 = 30;

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
    /// The longest one message's exchange with the relay may take.
    pub timeout: StdDuration,
}

/// One run of the dispatcher at `now`: claims up to [`IN_FLIGHT`] due messages, sends them at
/// once, renewing the claim while they are on their way (so a slow relay never lets a second
/// dispatcher take a message this one is still sending), then records every outcome in one
/// write: a crash resends at most the messages that were in flight.
pub async fn run(db: &Db, sender: &Sender, now: Instant) -> Result<Delivered, ServiceError> {
    let claim = Claim {
        token: uuid::Uuid::new_v4().simple().to_string(),
        until: truncate((now + Duration::seconds(sender.retry.lease_seconds)).naive_utc()),
    };
    let at = truncate(now.naive_utc());
    let limit = IN_FLIGHT as i64;
    // The bodies are read in the claim's transaction: a claim that cannot read them claims
    // nothing, rather than holding messages it cannot send until its lease runs out.
    let claimed = db
        .write({
            let claim = claim.clone();
            move |conn| {
                let heads = outbox::claim(conn, at, &claim, limit)?;
                let ids: Vec<i64> = heads.iter().map(|m| m.id).collect();
                let contents = outbox::contents(conn, &ids)?;
                Ok::<_, ServiceError>((heads, contents))
            }
        })
        .await?;
    let (claimed, messages) = whole(claimed);
    if claimed.is_empty() {
        return Ok(Delivered::default());
    }
    let sends = join_all(
        claimed
            .iter()
            .zip(messages)
            .map(|(head, message)| async move {
                match message {
                    Some(message) => send(sender, &message).await,
                    None => Err(format!("message {} has no contents", head.id)),
                }
            }),
    );
    let outcomes = tokio::select! {
        outcomes = sends => outcomes,
        never = renewing(db, &claim.token, sender.retry.lease_seconds, now) => match never {},
    };
    let done = tally(sender.retry, &claimed, &outcomes, now);
    let results = claimed
        .into_iter()
        .map(|row| (row.id, row.attempts))
        .zip(outcomes)
        .collect();
    if let Err(e) = record(db, sender.retry, (results, claim.token), now).await {
        // The claim lapses and the messages are tried again: duplicates, never a loss.
        tracing::error!(error = %e, "deliveries could not be recorded");
    }
    Ok(done)
}

/// The claimed messages, and each whole when its contents were found.
fn whole(
    (heads, contents): (Vec<MessageHead>, Vec<Option<outbox::Contents>>),
) -> (Vec<MessageHead>, Vec<Option<MessageRow>>) {
    let messages = heads
        .iter()
        .zip(contents)
        .map(|(head, contents)| contents.map(|c| MessageRow::new(head.clone(), c)))
        .collect();
    (heads, messages)
}

/// How the attempts went, as [`run`] reports them.
fn tally(
    retry: Retry,
    claimed: &[MessageHead],
    outcomes: &[Result<(), String>],
    now: Instant,
) -> Delivered {
    let mut done = Delivered::default();
    for (row, outcome) in claimed.iter().zip(outcomes) {
        match outcome {
            Ok(()) => done.sent += 1,
            Err(_) if retry.next(row.attempts, now).is_some() => done.retrying += 1,
            Err(_) => done.failed += 1,
        }
    }
    done
}

/// Keeps the claim on its messages while they are being sent.
async fn renewing(db: &Db, token: &str, lease_seconds: i64, now: Instant) -> Infallible {
    let token = token.to_owned();
    let renew = move |conn: &mut crate::db::DbConnection, until| outbox::renew(conn, &token, until);
    super::lease::keep(db, lease_seconds, now, renew).await
}

/// Sends one message within the sender's timeout; the error says why it did not go.
async fn send(sender: &Sender, row: &MessageRow) -> Result<(), String> {
    let message = mail::compose(row, &sender.from)?;
    let outcome = match tokio::time::timeout(sender.timeout, sender.mailer.send(&message)).await {
        Ok(sent) => sent,
        Err(_) => Err(format!(
            "the mail server did not finish the exchange within {} s",
            sender.timeout.as_secs()
        )),
    };
    if let Err(e) = &outcome {
        tracing::warn!(message = row.head.id, attempts = row.head.attempts, error = %e, "delivery failed");
    }
    outcome
}

/// Each claimed message's id and attempts, with how its attempt went; and the claim's token.
type Outcomes = (Vec<((i64, i32), Result<(), String>)>, String);

/// Writes the outcomes of one claim. Recording is idempotent under the claim's token, so a write
/// that met a storage fault (a database restart) is tried again on a fresh connection, for a few
/// seconds: otherwise messages already delivered would go out again when their claim lapses.
async fn record(
    db: &Db,
    retry: Retry,
    (results, token): Outcomes,
    now: Instant,
) -> Result<(), ServiceError> {
    let at = truncate(now.naive_utc());
    let write = move |conn: &mut crate::db::DbConnection| -> Result<(), ServiceError> {
        for ((id, attempts), outcome) in &results {
            match outcome {
                Ok(()) => outbox::mark_sent(conn, *id, &token, at)?,
                Err(e) => {
                    let retry_at = retry.next(*attempts, now).map(|t| truncate(t.naive_utc()));
                    outbox::mark_failed(conn, *id, &token, e, (at, retry_at))?
                }
            };
        }
        Ok(())
    };
    super::lease::persist(db, write).await
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
