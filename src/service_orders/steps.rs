//! The steps of an order, each one transaction under the order's lock: its state, its history,
//! the voucher's ledger, the audit trail, the orderer's mail and the webhook event, or none of
//! them.

use chrono::{DateTime, Utc};

use super::{Visible, share, visible};
use crate::booking::payment;
use crate::db::DbConnection;
use crate::db::service_orders::{self as store, Change, NewEvent, OrderRow};
use crate::db::services::ServiceRow;
use crate::domain::actor::Actor;
use crate::domain::ids::{OrderId, OrganizationId};
use crate::domain::ledger::Claim;
use crate::domain::money::{Fen, PurposeKind};
use crate::domain::service_order::{self as rules, Side, Step};
use crate::domain::types::OrderState;
use crate::error::{ErrorCode, ServiceError};

/// Loads an order under its lock and works out where `step` takes it, for whoever asks.
fn for_step(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    step: Step,
) -> Result<(Visible, OrderState), ServiceError> {
    store::lock(conn, OrderId(id))?;
    let v = visible(conn, user, OrderId(id))?;
    let side = if v.staff { Side::Lab } else { Side::Orderer };
    let to = rules::next(v.order.state, step, side).map_err(|why| {
        let code = if side == Side::Orderer && step != Step::Cancel {
            ErrorCode::Forbidden
        } else {
            ErrorCode::InvalidState
        };
        ServiceError::new(code, why)
    })?;
    Ok((v, to))
}

/// Records a step: the order's history, the audit trail, the orderer's (or the lab's) mail and
/// the webhook event, all in this transaction.
pub(super) fn logged(
    conn: &mut DbConnection,
    user: &Actor,
    (row, service): (&OrderRow, &ServiceRow),
    (from, event, reason): (Option<OrderState>, &str, Option<&str>),
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let at = now.naive_utc();
    let step = store::record(
        conn,
        &NewEvent {
            order: row.id,
            event,
            from,
            to: row.state,
            actor: Some(user.id.0),
            reason,
            at,
        },
    )?;
    let change = crate::audit::Change {
        subject: ("service_order", row.id),
        action: &format!("service_order.{event}"),
        owner: Some(row.provider_id),
        party: Some(row.organization_id),
        reason,
    };
    let after = serde_json::json!({
        "state": row.state.as_str(),
        "samples": row.samples,
        "samples_measured": row.samples_measured,
        "voucher_share_fen": row.voucher_share_fen,
        "final_voucher_fen": row.final_voucher_fen,
    });
    crate::audit::record(conn, user, change, (None::<&()>, Some(&after)), at)?;
    crate::notify::service_orders::stepped(conn, (row, service), step.id)?;
    crate::webhooks::service_orders::stepped(conn, row, step.id)
}

/// Takes a step that changes nothing but the state (and what `change` says).
fn simple(
    conn: &mut DbConnection,
    user: &Actor,
    (id, step): (i64, Step),
    change: impl FnOnce(&Visible) -> Change<'static>,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    let (v, to) = for_step(conn, user, id, step)?;
    let c = change(&v);
    let row = store::set_state(conn, &v.order, to, &c, now.naive_utc())?;
    let from = Some(v.order.state);
    logged(
        conn,
        user,
        (&row, &v.service),
        (from, step.event(), None),
        now,
    )?;
    Ok(row)
}

/// The lab accepts an order and the voucher's share of its price is held. A voucher that now
/// covers less than the orderer accepted is a 409 `quote_changed`: nothing is written.
pub fn accept(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    let (v, to) = for_step(conn, user, id, Step::Accept)?;
    let held = match v.order.voucher_id {
        Some(voucher) => hold_share(conn, (&v.order, &v.service), voucher, user, now)?,
        None => 0,
    };
    let c = Change {
        voucher_share_fen: Some(held),
        ..Change::default()
    };
    let row = store::set_state(conn, &v.order, to, &c, now.naive_utc())?;
    let from = Some(v.order.state);
    logged(
        conn,
        user,
        (&row, &v.service),
        (from, "accepted", None),
        now,
    )?;
    Ok(row)
}

fn hold_share(
    conn: &mut DbConnection,
    (o, s): (&OrderRow, &ServiceRow),
    voucher: i64,
    user: &Actor,
    now: DateTime<Utc>,
) -> Result<Fen, ServiceError> {
    payment::lock_vouchers(conn, voucher)?;
    let purpose = PurposeKind::parse(&o.purpose_kind).unwrap_or(PurposeKind::Research);
    let org = OrganizationId(o.organization_id);
    let share = share(conn, (org, voucher), s, (o.gross_fen, purpose), now)?;
    let accepted = o.accepted_co_payment_fen.unwrap_or(0);
    let co_payment = o.gross_fen - share.share_fen;
    if co_payment > accepted {
        return Err(ServiceError::new(
            ErrorCode::QuoteChanged,
            format!(
                "the orderer's voucher now covers only {} fen, so they would pay {co_payment} fen, \
                 more than the {accepted} fen they accepted; reject the order with a reason so \
                 they can order again",
                share.share_fen
            ),
        ));
    }
    if share.share_fen > 0 {
        let claim = Claim::ServiceOrder(o.id);
        payment::hold(
            conn,
            voucher,
            claim,
            share.share_fen,
            user.id,
            now.naive_utc(),
        )?;
    }
    Ok(share.share_fen)
}

/// The lab declines an order before measuring starts (the request, or samples that arrived
/// unfit), saying why; whatever the voucher held is released.
pub fn reject(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    ended(conn, user, (id, Step::Reject), reason, now)
}

/// The orderer withdraws an order before the lab has the samples, or the lab cancels one it
/// cannot finish; either says why, and whatever the voucher held is released.
pub fn cancel(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    ended(conn, user, (id, Step::Cancel), reason, now)
}

fn ended(
    conn: &mut DbConnection,
    user: &Actor,
    (id, step): (i64, Step),
    reason: &str,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    let (v, to) = for_step(conn, user, id, step)?;
    if let Some(voucher) = v.order.voucher_id {
        let why = (Some(user.id), step.event());
        let claim = Claim::ServiceOrder(v.order.id);
        payment::release_claim(conn, voucher, claim, why, now.naive_utc())?;
    }
    let c = Change {
        reason: Some(reason),
        ..Change::default()
    };
    let row = store::set_state(conn, &v.order, to, &c, now.naive_utc())?;
    let from = Some(v.order.state);
    let what = (from, step.event(), Some(reason));
    logged(conn, user, (&row, &v.service), what, now)?;
    Ok(row)
}

/// The samples arrived: the report is due the service's turnaround in working days later.
pub fn receive_samples(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let change = move |v: &Visible| Change {
        due_on: Some(rules::working_days_after(
            today,
            v.service.turnaround_days.into(),
        )),
        ..Change::default()
    };
    simple(conn, user, (id, Step::ReceiveSamples), change, now)
}

/// Measuring has begun.
pub fn start(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    simple(conn, user, (id, Step::Start), |_| Change::default(), now)
}

/// The report is delivered for `measured` samples: the fee is theirs at the order's price, and
/// the voucher's share of it is captured (never more than was held), the rest released.
pub fn deliver(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    measured: i64,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    let (v, to) = for_step(conn, user, id, Step::Deliver)?;
    let o = &v.order;
    if !(0..=o.samples).contains(&measured) {
        return Err(ServiceError::invalid_field(
            "samples_measured",
            format!("from 0 to the {} samples ordered", o.samples),
        ));
    }
    if store::report_meta(conn, o.id)?.is_none() {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "upload the report first: PUT /api/v1/service-orders/{}/report",
                o.id
            ),
        ));
    }
    let gross = o.price_fen.saturating_mul(measured);
    let at = now.naive_utc();
    let captured = match o.voucher_id {
        Some(voucher) => {
            let claim = (voucher, Claim::ServiceOrder(o.id));
            payment::capture_claim(conn, claim, gross, Some(user.id), at)?
        }
        None => 0,
    };
    let c = Change {
        delivered: Some((measured, gross, captured)),
        ..Change::default()
    };
    let row = store::set_state(conn, o, to, &c, at)?;
    let what = (Some(o.state), "report_delivered", None);
    logged(conn, user, (&row, &v.service), what, now)?;
    Ok(row)
}
