//! Wire types for calendar feeds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::utc;
use crate::db::feeds::FeedRow;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateFeed {
    pub kind: String,
    pub resource_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Feed {
    pub id: i64,
    pub kind: String,
    pub resource_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<FeedRow> for Feed {
    fn from(f: FeedRow) -> Feed {
        Feed {
            id: f.id,
            kind: f.kind,
            resource_id: f.resource_id,
            created_at: utc(f.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CreatedFeed {
    #[serde(flatten)]
    pub feed: Feed,
    /// The address to subscribe to; shown once, as only its token's digest is stored.
    pub url: String,
}
