//! The ledger movements a settlement statement is made of, and the resources they paid for.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{
    allocations, bookings, resources, service_orders, settlement_lines, voucher_ledger,
    voucher_programs, vouchers,
};
use crate::db::vouchers::LedgerRow;
use crate::domain::types::Movement;

/// Whose money a statement covers: an issuing agency's programmes, a provider institution's
/// resources, one programme, or any combination (all three empty: everything, for admins).
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub issuer: Option<i64>,
    pub provider: Option<i64>,
    pub program: Option<i64>,
    /// Only the lines of this statement.
    pub statement: Option<i64>,
    /// Only entries on no live statement: what is left to settle.
    pub unsettled: bool,
}

/// Captures and reversed captures in `[from, to)` within `scope`, oldest first.
pub fn movements(
    conn: &mut DbConnection,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<LedgerRow>> {
    // Only a capture's reversal carries a booking or allocation: grants and expiries have none.
    let mut q = voucher_ledger::table
        .filter(voucher_ledger::at.ge(from))
        .filter(voucher_ledger::at.lt(to))
        .filter(voucher_ledger::movement.eq_any([Movement::Capture, Movement::Reversal]))
        .filter(
            voucher_ledger::booking_id
                .is_not_null()
                .or(voucher_ledger::allocation_id.is_not_null())
                .or(voucher_ledger::service_order_id.is_not_null()),
        )
        .order(voucher_ledger::id)
        .into_boxed();
    if let Some(issuer) = scope.issuer {
        let programs = voucher_programs::table
            .filter(voucher_programs::issuer_id.eq(issuer))
            .select(voucher_programs::id);
        let theirs = vouchers::table
            .filter(vouchers::program_id.eq_any(programs))
            .select(vouchers::id);
        q = q.filter(voucher_ledger::voucher_id.eq_any(theirs));
    }
    if let Some(program) = scope.program {
        let of_program = vouchers::table
            .filter(vouchers::program_id.eq(program))
            .select(vouchers::id);
        q = q.filter(voucher_ledger::voucher_id.eq_any(of_program));
    }
    if let Some(statement) = scope.statement {
        let on_it = settlement_lines::table
            .filter(settlement_lines::statement_id.eq(statement))
            .select(settlement_lines::entry_id);
        q = q.filter(voucher_ledger::id.eq_any(on_it));
    }
    if scope.unsettled {
        let settled = settlement_lines::table
            .filter(settlement_lines::live.eq(true))
            .select(settlement_lines::entry_id);
        q = q.filter(voucher_ledger::id.ne_all(settled));
    }
    if let Some(provider) = scope.provider {
        let theirs = resources::table
            .filter(resources::organization_id.eq(provider))
            .select(resources::id);
        let booked = bookings::table
            .filter(bookings::resource_id.eq_any(theirs))
            .select(bookings::id);
        let allocated = allocations::table
            .filter(allocations::resource_id.eq_any(theirs))
            .select(allocations::id);
        let ordered = service_orders::table
            .filter(service_orders::provider_id.eq(provider))
            .select(service_orders::id);
        q = q.filter(
            voucher_ledger::booking_id
                .assume_not_null()
                .eq_any(booked)
                .or(voucher_ledger::allocation_id
                    .assume_not_null()
                    .eq_any(allocated))
                .or(voucher_ledger::service_order_id
                    .assume_not_null()
                    .eq_any(ordered)),
        );
    }
    q.load(conn)
}

/// A service order's provider, resource (if any) and service.
pub type OrderPlace = (i64, Option<i64>, i64);

/// Every line's service order → where it was served, a query per 10 000.
pub fn orders_of(
    conn: &mut DbConnection,
    rows: &[LedgerRow],
) -> QueryResult<HashMap<i64, OrderPlace>> {
    let ordered: Vec<i64> = rows.iter().filter_map(|r| r.service_order_id).collect();
    let mut of_order = HashMap::new();
    for ids in ordered.chunks(CHUNK) {
        let found: Vec<(i64, i64, Option<i64>, i64)> = service_orders::table
            .filter(service_orders::id.eq_any(ids))
            .select((
                service_orders::id,
                service_orders::provider_id,
                service_orders::resource_id,
                service_orders::service_id,
            ))
            .load(conn)?;
        of_order.extend(found.into_iter().map(|(id, p, r, s)| (id, (p, r, s))));
    }
    Ok(of_order)
}

/// Every line's booking → resource and allocation → resource, a query per 10 000 of each (well
/// below either backend's limit of bound parameters).
pub fn resources_of(
    conn: &mut DbConnection,
    rows: &[LedgerRow],
) -> QueryResult<(HashMap<i64, i64>, HashMap<i64, i64>)> {
    let booked: Vec<i64> = rows.iter().filter_map(|r| r.booking_id).collect();
    let allocated: Vec<i64> = rows.iter().filter_map(|r| r.allocation_id).collect();
    let mut of_booking = HashMap::new();
    for ids in booked.chunks(CHUNK) {
        let found: Vec<(i64, i64)> = bookings::table
            .filter(bookings::id.eq_any(ids))
            .select((bookings::id, bookings::resource_id))
            .load(conn)?;
        of_booking.extend(found);
    }
    let mut of_allocation = HashMap::new();
    for ids in allocated.chunks(CHUNK) {
        let found: Vec<(i64, i64)> = allocations::table
            .filter(allocations::id.eq_any(ids))
            .select((allocations::id, allocations::resource_id))
            .load(conn)?;
        of_allocation.extend(found);
    }
    Ok((of_booking, of_allocation))
}

const CHUNK: usize = 10_000;
