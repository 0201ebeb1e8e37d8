//! Wire types for webhook subscriptions and their deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::utc;
use crate::db::webhooks::{AttemptRow, DeliveryRow, WebhookRow};
use crate::webhooks::Asked;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    pub organization_id: Option<i64>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub status: Option<String>,
}

impl From<WebhookBody> for Asked {
    fn from(b: WebhookBody) -> Asked {
        Asked {
            organization_id: b.organization_id,
            url: b.url,
            events: b.events,
            description: b.description,
            status: b.status,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub organization_id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub status: String,
    pub paused_reason: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(w: WebhookRow) -> Webhook {
        Webhook {
            id: w.id,
            organization_id: w.organization_id,
            url: w.url,
            events: w.events.split(',').map(str::to_owned).collect(),
            description: w.description,
            status: w.status,
            paused_reason: w.paused_reason,
            created_by: w.created_by,
            created_at: utc(w.created_at),
            updated_at: utc(w.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Shown once: verify each delivery's `webhook-signature` with it.
    pub secret: String,
}

#[derive(Debug, Serialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Debug, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    /// The `webhook-id` header of every attempt.
    pub message_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub payload: Value,
    pub history: Vec<Attempt>,
}

impl From<(DeliveryRow, Vec<AttemptRow>)> for Delivery {
    fn from((d, attempts): (DeliveryRow, Vec<AttemptRow>)) -> Delivery {
        Delivery {
            id: d.id,
            webhook_id: d.webhook_id,
            message_id: d.message_id,
            event_type: d.event_type,
            next_attempt_at: (d.status == "pending").then(|| utc(d.next_attempt_at)),
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: utc(d.created_at),
            delivered_at: d.delivered_at.map(utc),
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::Null),
            history: attempts
                .into_iter()
                .map(|a| Attempt {
                    at: utc(a.at),
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}
