//! Computing allocations and their recorded jobs on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::db::allocations::{AllocationRow, RecordRow};
use crate::domain::allocation::Standing;
use crate::domain::types::AllocationState;

#[derive(Debug, Serialize)]
pub struct Allocation {
    pub id: i64,
    pub resource_id: i64,
    pub organization_id: i64,
    pub requester_id: i64,
    pub project: String,
    pub account: String,
    pub state: AllocationState,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub requested_unit_hours: i64,
    pub granted_unit_hours: Option<i64>,
    pub customer_category: String,
    pub rate_fen_per_unit_hour: i64,
    pub purpose_kind: String,
    pub voucher_id: Option<i64>,
    pub accepted_co_payment_fen: Option<i64>,
    pub voucher_share_fen: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AllocationRow> for Allocation {
    fn from(a: AllocationRow) -> Allocation {
        Allocation {
            id: a.id,
            resource_id: a.resource_id,
            organization_id: a.organization_id,
            requester_id: a.requester_id,
            project: a.project,
            account: a.account,
            state: a.state,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            requested_unit_hours: a.requested_unit_hours,
            granted_unit_hours: a.granted_unit_hours,
            customer_category: a.customer_category,
            rate_fen_per_unit_hour: a.rate_fen,
            purpose_kind: a.purpose_kind,
            voucher_id: a.voucher_id,
            accepted_co_payment_fen: a.accepted_co_payment_fen,
            voucher_share_fen: a.voucher_share_fen,
            decided_by: a.decided_by,
            decided_at: a.decided_at.map(|t| t.and_utc()),
            reason: a.reason,
            created_at: a.created_at.and_utc(),
            updated_at: a.updated_at.and_utc(),
        }
    }
}

/// One allocation with its balance and burn rate, and what its voucher has paid so far.
#[derive(Debug, Serialize)]
pub struct AllocationDetail {
    #[serde(flatten)]
    pub allocation: Allocation,
    pub standing: Option<Standing>,
    pub voucher_captured_fen: i64,
}

#[derive(Debug, Serialize)]
pub struct UsageRecord {
    pub id: i64,
    pub import_id: i64,
    pub line: i64,
    pub job_id: Option<String>,
    pub account: String,
    pub user: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub units: i64,
    pub unit_hours: f64,
    pub overage_unit_hours: f64,
    pub fee_fen: i64,
}

impl From<RecordRow> for UsageRecord {
    fn from(r: RecordRow) -> UsageRecord {
        UsageRecord {
            id: r.id,
            import_id: r.import_id,
            line: r.line,
            job_id: r.job_id,
            account: r.account,
            user: r.user_name,
            start: r.started_at.and_utc(),
            end: r.ended_at.and_utc(),
            units: r.units,
            unit_hours: r.unit_minutes as f64 / 60.0,
            overage_unit_hours: r.overage_minutes as f64 / 60.0,
            fee_fen: r.fee_fen,
        }
    }
}
