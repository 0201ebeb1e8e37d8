//! The audit trail, read by admins (all), managers (their institution's) and issuers (their
//! agency's).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ok;
use crate::app::AppState;
use crate::db::audit::{AuditFilter, AuditRow};
use crate::domain::actor::Actor;
use crate::error::ServiceError;
use crate::http::dto::parse_instant;
use crate::http::page::Page;
use crate::http::read;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    subject_kind: Option<String>,
    subject_id: Option<i64>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// One recorded change.
#[derive(Debug, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// A second organisation the record concerns, such as a statement's issuing agency.
    pub party_id: Option<i64>,
    pub subject_kind: String,
    pub subject_id: i64,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> AuditEvent {
        let json = |t: Option<String>| t.and_then(|t| serde_json::from_str(&t).ok());
        AuditEvent {
            id: r.id,
            at: r.at.and_utc(),
            actor_id: r.actor_id,
            organization_id: r.organization_id,
            party_id: r.party_id,
            subject_kind: r.subject_kind,
            subject_id: r.subject_id,
            action: r.action,
            before: json(r.before_json),
            after: json(r.after_json),
            reason: r.reason,
        }
    }
}

pub async fn list_audit_events(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let time = |name: &str, v: &Option<String>| v.as_deref().map(|t| parse_instant(name, t));
    let filter = AuditFilter {
        organizations: None,
        subject_kind: q.subject_kind,
        subject_id: q.subject_id,
        action: q.action,
        from: time("from", &q.from).transpose()?,
        to: time("to", &q.to).transpose()?,
    };
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        crate::audit::list(conn, &user, filter, (after, fetch))
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |r| r.id.to_string(),
        AuditEvent::from,
    )))
}
