//! Outbox messages as admins see them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::utc;
use crate::db::outbox::MessageRow;
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
    pub fn new(m: &MessageRow, domain: &str) -> Message {
        Message {
            id: m.id,
            kind: m.kind.clone(),
            user_id: m.user_id,
            to: m.to_address.clone(),
            locale: m.locale.clone(),
            subject: m.subject.clone(),
            booking_id: m.booking_id,
            has_calendar: m.ics.is_some(),
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
