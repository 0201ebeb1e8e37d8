//! Computing allocations as webhook events, for the requesting organisation and the resource's
//! institution: the decision, and each threshold of use reached.

use chrono::NaiveDateTime;
use serde_json::json;

use super::events::{Event, emit};
use crate::db::DbConnection;
use crate::db::allocations::AllocationRow;
use crate::db::resources::ResourceView;
use crate::domain::types::AllocationState;
use crate::error::ServiceError;

fn send(
    conn: &mut DbConnection,
    (a, view): (&AllocationRow, &ResourceView),
    (kind, key, extra): (&str, String, Option<i64>),
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let mut orgs = vec![a.organization_id, view.row.organization_id];
    orgs.dedup();
    let data = json!({
        "allocation_id": a.id,
        "resource_id": a.resource_id,
        "institution_id": view.row.organization_id,
        "organization_id": a.organization_id,
        "state": a.state.as_str(),
        "project": a.project,
        "starts_on": a.starts_on,
        "ends_on": a.ends_on,
        "requested_unit_hours": a.requested_unit_hours,
        "granted_unit_hours": a.granted_unit_hours,
        "voucher_share_fen": a.voucher_share_fen,
        "reason": a.reason,
        "used_percent": extra,
    });
    let e = Event {
        kind,
        key,
        orgs: &orgs,
        order: Some(format!("allocation:{}", a.id)),
        data,
        at,
    };
    emit(conn, &e)
}

/// The allocation was approved or rejected.
pub fn decided(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
) -> Result<(), ServiceError> {
    let kind = match a.state {
        AllocationState::Approved => "allocation.approved",
        _ => "allocation.rejected",
    };
    let at = a.decided_at.unwrap_or(a.updated_at);
    send(
        conn,
        (a, view),
        (kind, format!("allocation:{}:{kind}", a.id), None),
        at,
    )
}

/// Use of the allocation reached `level` percent.
pub fn threshold(
    conn: &mut DbConnection,
    (a, view): (&AllocationRow, &ResourceView),
    level: i64,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let key = format!("allocation:{}:used-{level}", a.id);
    send(
        conn,
        (a, view),
        ("allocation.threshold", key, Some(level)),
        at,
    )
}
