//! The owner of a webhook subscription hears when it is paused because its endpoint kept failing.

use chrono::NaiveDateTime;

use super::text::Letter;
use super::{Envelope, queue, recipient};
use crate::db::DbConnection;
use crate::db::webhooks::WebhookRow;
use crate::domain::types::Locale;
use crate::error::ServiceError;

fn letter(l: Locale, hook: &WebhookRow, why: &str) -> Letter {
    match l {
        Locale::En => Letter {
            subject: format!("Webhook {} paused", hook.id),
            paragraphs: vec![
                format!("Deliveries to {} kept failing, so the subscription is paused. Events are still recorded and wait for it.", hook.url),
                format!("The last attempt: {why}"),
                "Fix the endpoint, then set the subscription's status to active (PATCH /api/v1/webhooks/{id}); failed deliveries can be redelivered from its list of deliveries.".replace("{id}", &hook.id.to_string()),
            ],
        },
        Locale::ZhCn => Letter {
            subject: format!("Webhook {} 已暂停", hook.id),
            paragraphs: vec![
                format!("向 {} 的推送持续失败，订阅已暂停。事件仍会记录并等待推送。", hook.url),
                format!("最后一次尝试：{why}"),
                format!("修复接收端后，将订阅状态设为 active（PATCH /api/v1/webhooks/{}）；失败的推送可在推送列表中重新发送。", hook.id),
            ],
        },
    }
}

/// Queues the pause notice to the subscription's creator, once per pause.
pub fn paused(
    conn: &mut DbConnection,
    hook: &WebhookRow,
    why: &str,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let Some(to) = recipient(conn, hook.created_by)? else {
        return Ok(());
    };
    let env = Envelope {
        dedupe_key: format!(
            "webhook-paused:{}:{}",
            hook.id,
            hook.updated_at.and_utc().timestamp()
        ),
        kind: "webhook_paused",
        booking: None,
        ics: None,
        at,
    };
    queue(conn, &to, &letter(to.locale, hook, why), env)?;
    Ok(())
}
