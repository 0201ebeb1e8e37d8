//! Outbox messages as admins see them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::utc;
use crate::db::outbox::{Backlog, MessageRow};
use crate::domain::types::MessageStatus;

#[derive(Debug, Serialize)]
pub struct Message {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub to: String,
    pub locale: String,
    pub subject: String,
    pub booking_id: Option<i64>,
    pub has_calendar: bool,
    pub status: MessageStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Message {
    /// The message as admins see it; its Message-ID is on the sender's `domain`.
    pub fn new(whole: &MessageRow, domain: &str) -> Message {
        let m = &whole.head;
        Message {
            id: m.id,
            kind: m.kind.clone(),
            user_id: m.user_id,
            to: m.to_address.clone(),
            locale: m.locale.clone(),
            subject: m.subject.clone(),
            booking_id: m.booking_id,
            has_calendar: whole.ics.is_some(),
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: utc(m.next_attempt_at),
            last_error: m.last_error.clone(),
            message_id: crate::mail::message_id(m, domain),
            created_at: utc(m.created_at),
            sent_at: m.sent_at.map(utc),
        }
    }
}

/// One message with its text.
#[derive(Debug, Serialize)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub message: Message,
    pub text_body: String,
}

/// The outbox at a glance: a growing `oldest_waiting_seconds` means delivery has stopped.
#[derive(Debug, Serialize)]
pub struct OutboxState {
    pub waiting: i64,
    pub failed: i64,
    pub oldest_waiting_since: Option<DateTime<Utc>>,
    pub oldest_waiting_seconds: i64,
}

impl OutboxState {
    pub fn new(b: &Backlog, now: chrono::NaiveDateTime) -> OutboxState {
        OutboxState {
            waiting: b.waiting,
            failed: b.failed,
            oldest_waiting_since: b.oldest_waiting.map(utc),
            oldest_waiting_seconds: b
                .oldest_waiting
                .map_or(0, |t| (now - t).num_seconds().max(0)),
        }
    }
}

/// How many parked messages were queued again.
#[derive(Debug, Serialize)]
pub struct Retried {
    pub retried: usize,
}
