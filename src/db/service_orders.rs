//! Orders for services, the steps of each (its history) and the report delivered with it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{
    resource_operators, service_order_events as ev, service_orders as o, service_reports as rep,
    services,
};
use crate::domain::actor::Reach;
use crate::domain::ids::OrderId;
use crate::domain::types::OrderState;

#[derive(Debug, Clone, Queryable)]
pub struct OrderRow {
    pub id: i64,
    pub service_id: i64,
    pub provider_id: i64,
    pub resource_id: Option<i64>,
    pub organization_id: i64,
    pub requester_id: i64,
    pub samples: i64,
    pub notes: String,
    pub purpose_kind: String,
    pub customer_category: String,
    pub price_fen: i64,
    pub gross_fen: i64,
    pub voucher_id: Option<i64>,
    pub accepted_co_payment_fen: Option<i64>,
    pub voucher_share_fen: i64,
    pub state: OrderState,
    pub reason: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub samples_measured: Option<i64>,
    pub final_gross_fen: Option<i64>,
    pub final_voucher_fen: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = o)]
pub struct NewOrder {
    pub service_id: i64,
    pub provider_id: i64,
    pub resource_id: Option<i64>,
    pub organization_id: i64,
    pub requester_id: i64,
    pub samples: i64,
    pub notes: String,
    pub purpose_kind: String,
    pub customer_category: String,
    pub price_fen: i64,
    pub gross_fen: i64,
    pub voucher_id: Option<i64>,
    pub accepted_co_payment_fen: Option<i64>,
    pub state: OrderState,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewOrder) -> QueryResult<OrderRow> {
    diesel::insert_into(o::table)
        .values(new)
        .returning(o::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: OrderId) -> QueryResult<Option<OrderRow>> {
    o::table.find(id.0).first(conn).optional()
}

/// Locks an order until the transaction ends, so two steps never act on it at once. On SQLite
/// the write transaction already holds the only lock.
pub fn lock(conn: &mut DbConnection, id: OrderId) -> QueryResult<()> {
    let query = o::table.filter(o::id.eq(id.0)).select(o::id);
    match conn {
        DbConnection::Postgresql(pg) => query.for_update().load::<i64>(pg).map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// Which orders a listing covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub service: Option<i64>,
    pub state: Option<OrderState>,
}

/// Orders within `reach` matching `f`, in id order after `after`. Operators see the orders of
/// the services on the resources they run and of their institution's services on no resource.
pub fn list(
    conn: &mut DbConnection,
    reach: Reach,
    operator_org: Option<i64>,
    f: &Filter,
    (after, limit): (Option<i64>, i64),
) -> QueryResult<Vec<OrderRow>> {
    let mut q = o::table.order(o::id).into_boxed();
    match reach {
        Reach::All => {}
        Reach::Institution(org) => q = q.filter(o::provider_id.eq(org.0)),
        Reach::Operated(user) => {
            let runs = resource_operators::table
                .filter(resource_operators::user_id.eq(user.0))
                .select(resource_operators::resource_id);
            let unplaced = services::table
                .filter(services::organization_id.eq(operator_org.unwrap_or(-1)))
                .filter(services::resource_id.is_null())
                .select(services::id);
            q = q.filter(
                o::resource_id
                    .assume_not_null()
                    .eq_any(runs)
                    .or(o::service_id.eq_any(unplaced)),
            );
        }
        Reach::Member { org: Some(org), .. } => q = q.filter(o::organization_id.eq(org.0)),
        Reach::Member { org: None, .. } | Reach::Agency(_) | Reach::Nothing => {
            return Ok(Vec::new());
        }
    }
    if let Some(service) = f.service {
        q = q.filter(o::service_id.eq(service));
    }
    if let Some(state) = f.state {
        q = q.filter(o::state.eq(state));
    }
    if let Some(after) = after {
        q = q.filter(o::id.gt(after));
    }
    q.limit(limit).load(conn)
}

/// What a step changes on an order besides its state.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    pub reason: Option<&'a str>,
    pub voucher_share_fen: Option<i64>,
    pub due_on: Option<NaiveDate>,
    /// Samples measured, the final fee and the voucher's capture, at delivery.
    pub delivered: Option<(i64, i64, i64)>,
}

pub fn set_state(
    conn: &mut DbConnection,
    row: &OrderRow,
    state: OrderState,
    c: &Change<'_>,
    at: NaiveDateTime,
) -> QueryResult<OrderRow> {
    let (measured, gross, voucher) = match c.delivered {
        Some((m, g, v)) => (Some(m), Some(g), Some(v)),
        None => (
            row.samples_measured,
            row.final_gross_fen,
            row.final_voucher_fen,
        ),
    };
    diesel::update(o::table.find(row.id))
        .set((
            o::state.eq(state),
            o::reason.eq(c.reason.map(str::to_owned).or(row.reason.clone())),
            o::voucher_share_fen.eq(c.voucher_share_fen.unwrap_or(row.voucher_share_fen)),
            o::due_on.eq(c.due_on.or(row.due_on)),
            o::samples_measured.eq(measured),
            o::final_gross_fen.eq(gross),
            o::final_voucher_fen.eq(voucher),
            o::updated_at.eq(at),
        ))
        .returning(o::all_columns)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub order_id: i64,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub at: NaiveDateTime,
}

/// One step of an order's history.
pub struct NewEvent<'a> {
    pub order: i64,
    pub event: &'a str,
    pub from: Option<OrderState>,
    pub to: OrderState,
    pub actor: Option<i64>,
    pub reason: Option<&'a str>,
    pub at: NaiveDateTime,
}

pub fn record(conn: &mut DbConnection, e: &NewEvent<'_>) -> QueryResult<EventRow> {
    diesel::insert_into(ev::table)
        .values((
            ev::order_id.eq(e.order),
            ev::event.eq(e.event),
            ev::from_state.eq(e.from.map(|s| s.as_str())),
            ev::to_state.eq(e.to.as_str()),
            ev::actor_id.eq(e.actor),
            ev::reason.eq(e.reason),
            ev::at.eq(e.at),
        ))
        .returning(ev::all_columns)
        .get_result(conn)
}

pub fn history(conn: &mut DbConnection, order: i64) -> QueryResult<Vec<EventRow>> {
    ev::table
        .filter(ev::order_id.eq(order))
        .order(ev::id)
        .load(conn)
}

/// A report's description, without its bytes.
#[derive(Debug, Clone, Queryable)]
pub struct ReportMeta {
    pub order_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
}

const META: (
    rep::order_id,
    rep::file_name,
    rep::content_type,
    rep::size_bytes,
    rep::sha256,
    rep::uploaded_by,
    rep::uploaded_at,
) = (
    rep::order_id,
    rep::file_name,
    rep::content_type,
    rep::size_bytes,
    rep::sha256,
    rep::uploaded_by,
    rep::uploaded_at,
);

/// Puts an order's report in place of any earlier one.
pub fn put_report(conn: &mut DbConnection, meta: &ReportMeta, content: &[u8]) -> QueryResult<()> {
    diesel::delete(rep::table.find(meta.order_id)).execute(conn)?;
    diesel::insert_into(rep::table)
        .values((
            rep::order_id.eq(meta.order_id),
            rep::file_name.eq(&meta.file_name),
            rep::content_type.eq(&meta.content_type),
            rep::size_bytes.eq(meta.size_bytes),
            rep::sha256.eq(&meta.sha256),
            rep::content.eq(content),
            rep::uploaded_by.eq(meta.uploaded_by),
            rep::uploaded_at.eq(meta.uploaded_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn report_meta(conn: &mut DbConnection, order: i64) -> QueryResult<Option<ReportMeta>> {
    rep::table.find(order).select(META).first(conn).optional()
}

pub fn report_content(conn: &mut DbConnection, order: i64) -> QueryResult<Option<Vec<u8>>> {
    rep::table
        .find(order)
        .select(rep::content)
        .first(conn)
        .optional()
}

/// A delivered order as the reports count it.
#[derive(Debug, Clone, Queryable)]
pub struct Delivered {
    pub id: i64,
    pub service_id: i64,
    pub provider_id: i64,
    pub resource_id: Option<i64>,
    pub organization_id: i64,
    pub voucher_id: Option<i64>,
    pub samples_measured: Option<i64>,
    pub final_gross_fen: Option<i64>,
    pub final_voucher_fen: Option<i64>,
}

/// Orders whose report was delivered in `[from, to)` (a delivered order changes no more, so its
/// last change is its delivery), of one institution's services or of all.
pub fn delivered_between(
    conn: &mut DbConnection,
    institution: Option<i64>,
    (from, to): (NaiveDateTime, NaiveDateTime),
) -> QueryResult<Vec<Delivered>> {
    let mut q = o::table
        .filter(o::state.eq(OrderState::ReportDelivered))
        .filter(o::updated_at.ge(from))
        .filter(o::updated_at.lt(to))
        .order(o::id)
        .select((
            o::id,
            o::service_id,
            o::provider_id,
            o::resource_id,
            o::organization_id,
            o::voucher_id,
            o::samples_measured,
            o::final_gross_fen,
            o::final_voucher_fen,
        ))
        .into_boxed();
    if let Some(org) = institution {
        q = q.filter(o::provider_id.eq(org));
    }
    q.load(conn)
}
