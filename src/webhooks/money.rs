//! Voucher movements and settlement statements as webhook events: a voucher's hold, capture and
//! release reach its holder, its programme's issuing agency and the institution paid; a
//! statement's issue and payment reach the institution and the agency that settle it.

use serde_json::json;

use super::events::{Event, emit};
use crate::db::statements::StatementRow;
use crate::db::vouchers::{self as store, LedgerRow};
use crate::db::{DbConnection, allocations, bookings, resources, service_orders};
use crate::domain::ids::{AllocationId, BookingId, OrderId, ProgramId, ResourceId, VoucherId};
use crate::domain::ledger::Claim;
use crate::domain::types::Movement;
use crate::error::ServiceError;

fn event_type(m: Movement) -> Option<&'static str> {
    match m {
        Movement::Hold => Some("voucher.held"),
        Movement::Capture => Some("voucher.captured"),
        Movement::Release => Some("voucher.released"),
        _ => None,
    }
}

/// The institution a ledger line pays, through its booking, allocation or service order.
fn institution_of(conn: &mut DbConnection, row: &LedgerRow) -> Result<Option<i64>, ServiceError> {
    let resource = match row.claim() {
        Some(Claim::Booking(b)) => bookings::find(conn, BookingId(b))?.map(|b| b.resource_id),
        Some(Claim::Allocation(a)) => {
            allocations::find(conn, AllocationId(a))?.map(|a| a.resource_id)
        }
        Some(Claim::ServiceOrder(o)) => {
            return Ok(service_orders::find(conn, OrderId(o))?.map(|o| o.provider_id));
        }
        None => None,
    };
    Ok(match resource {
        Some(r) => resources::find(conn, ResourceId(r))?.map(|v| v.row.organization_id),
        None => None,
    })
}

/// A ledger line, if it is a hold, capture or release.
pub fn ledger_line(conn: &mut DbConnection, row: &LedgerRow) -> Result<(), ServiceError> {
    let Some(kind) = event_type(row.movement) else {
        return Ok(());
    };
    let voucher = store::find_voucher(conn, VoucherId(row.voucher_id))?
        .ok_or_else(|| ServiceError::internal("ledger line of a missing voucher"))?;
    let program = store::find_program(conn, ProgramId(voucher.program_id))?
        .ok_or_else(|| ServiceError::internal("voucher of a missing programme"))?;
    let institution = institution_of(conn, row)?;
    let mut orgs = vec![voucher.enterprise_id, program.issuer_id];
    orgs.extend(institution);
    orgs.sort_unstable();
    orgs.dedup();
    let order = match row.claim() {
        Some(Claim::Booking(b)) => format!("booking:{b}"),
        Some(Claim::Allocation(a)) => format!("allocation:{a}"),
        Some(Claim::ServiceOrder(o)) => format!("service-order:{o}"),
        None => format!("voucher:{}", row.voucher_id),
    };
    let data = json!({
        "ledger_entry_id": row.id,
        "voucher_id": row.voucher_id,
        "program_id": program.id,
        "program_code": program.code,
        "holder_id": voucher.enterprise_id,
        "issuer_id": program.issuer_id,
        "institution_id": institution,
        "movement": row.movement.as_str(),
        "amount_fen": row.amount_fen,
        "booking_id": row.booking_id,
        "allocation_id": row.allocation_id,
        "service_order_id": row.service_order_id,
        "reason": row.reason,
    });
    emit(
        conn,
        &Event {
            kind,
            key: format!("ledger:{}", row.id),
            orgs: &orgs,
            order: Some(order),
            data,
            at: row.at,
        },
    )
}

/// A settlement statement was issued or paid.
pub fn statement(
    conn: &mut DbConnection,
    row: &StatementRow,
    kind: &str,
    at: chrono::NaiveDateTime,
) -> Result<(), ServiceError> {
    let data = json!({
        "statement_id": row.id,
        "issuer_id": row.issuer_id,
        "provider_id": row.provider_id,
        "period_from": row.period_from,
        "period_to": row.period_to,
        "amount_fen": row.amount_fen,
        "line_count": row.line_count,
        "status": row.status.as_str(),
        "payment_reference": row.payment_reference,
    });
    let e = Event {
        kind,
        key: format!("statement:{}:{kind}", row.id),
        orgs: &[row.provider_id, row.issuer_id],
        order: Some(format!("statement:{}", row.id)),
        data,
        at,
    };
    emit(conn, &e)
}
