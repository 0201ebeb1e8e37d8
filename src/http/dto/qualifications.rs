//! Qualifications on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::qualifications::QualificationRow;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantQualification {
    pub user_id: i64,
    pub resource_id: i64,
    pub expires_at: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationQuery {
    pub resource_id: Option<i64>,
    pub user_id: Option<i64>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Qualification {
    pub id: i64,
    pub user_id: i64,
    pub resource_id: i64,
    pub granted_by: i64,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<QualificationRow> for Qualification {
    fn from(r: QualificationRow) -> Qualification {
        Qualification {
            id: r.id,
            user_id: r.user_id,
            resource_id: r.resource_id,
            granted_by: r.granted_by,
            expires_at: r.expires_at.and_utc(),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
        }
    }
}
