//! Service orders as webhook events, for the ordering organisation and the lab's institution:
//! one event per step of the order's history.

use serde_json::json;

use super::events::{Event, emit};
use crate::db::DbConnection;
use crate::db::service_orders::OrderRow;
use crate::error::ServiceError;

/// The order took a step (its history entry `step`); the event type names its new state.
pub fn stepped(conn: &mut DbConnection, o: &OrderRow, step: i64) -> Result<(), ServiceError> {
    let kind = format!("service_order.{}", o.state.as_str());
    let mut orgs = vec![o.organization_id, o.provider_id];
    orgs.sort_unstable();
    orgs.dedup();
    let data = json!({
        "service_order_id": o.id,
        "service_id": o.service_id,
        "institution_id": o.provider_id,
        "organization_id": o.organization_id,
        "state": o.state.as_str(),
        "samples": o.samples,
        "samples_measured": o.samples_measured,
        "gross_fen": o.gross_fen,
        "voucher_share_fen": o.voucher_share_fen,
        "final_gross_fen": o.final_gross_fen,
        "final_voucher_fen": o.final_voucher_fen,
        "due_on": o.due_on,
        "reason": o.reason,
    });
    let e = Event {
        kind: &kind,
        key: format!("service-order:{}:{step}", o.id),
        orgs: &orgs,
        order: Some(format!("service-order:{}", o.id)),
        data,
        at: o.updated_at,
    };
    emit(conn, &e)
}
