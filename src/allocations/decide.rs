//! Deciding an allocation: its operators approve it (possibly for less, holding the voucher's
//! share) or reject it; its requester may withdraw it while it is pending.

use chrono::{DateTime, Utc};

use super::{Visible, quote, visible};
use crate::booking::payment;
use crate::db::DbConnection;
use crate::db::allocations::{self as store, AllocationRow, Decision};
use crate::db::resources::ResourceView;
use crate::domain::actor::Actor;
use crate::domain::ids::{AllocationId, OrganizationId};
use crate::domain::ledger::Claim;
use crate::domain::money::{Fen, PurposeKind};
use crate::domain::types::AllocationState;
use crate::error::{ErrorCode, ServiceError};

/// Loads an allocation under its lock, for a change by someone who may make it.
fn for_change(
    conn: &mut DbConnection,
    user: &Actor,
    id: AllocationId,
    staff_only: bool,
) -> Result<Visible, ServiceError> {
    store::lock(conn, &[id.0])?;
    let v = visible(conn, user, id)?;
    if staff_only && !v.staff {
        return Err(ServiceError::forbidden(
            "only the resource's operators and managers decide on allocations",
        ));
    }
    if v.allocation.state != AllocationState::Pending {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "allocation {id} is {}; only a pending one can be decided or withdrawn",
                v.allocation.state
            ),
        ));
    }
    Ok(v)
}

/// Approves a pending allocation for `unit_hours` (the request's when absent, never more) and
/// holds the voucher's share of its price.
pub fn approve(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    unit_hours: Option<i64>,
    now: DateTime<Utc>,
) -> Result<AllocationRow, ServiceError> {
    let Visible {
        allocation: a,
        resource: view,
        ..
    } = for_change(conn, user, AllocationId(id), true)?;
    let granted = unit_hours.unwrap_or(a.requested_unit_hours);
    if granted <= 0 || granted > a.requested_unit_hours {
        return Err(ServiceError::invalid_field(
            "unit_hours",
            format!(
                "grant from 1 to the {} unit-hours asked for",
                a.requested_unit_hours
            ),
        ));
    }
    if let Some(other) = store::account_clash(
        conn,
        a.resource_id,
        &a.account,
        (a.starts_on, a.ends_on),
        a.id,
    )? {
        return Err(ServiceError::new(
            ErrorCode::AlreadyExists,
            format!(
                "account {} already has approved allocation {other} in an overlapping period; \
                 usage could not say which to draw down",
                a.account
            ),
        ));
    }
    let share = match a.voucher_id {
        Some(voucher) => hold_share(conn, &a, &view, (voucher, granted), user, now)?,
        None => 0,
    };
    let row = store::decide(
        conn,
        id,
        &Decision {
            state: AllocationState::Approved,
            granted_unit_hours: Some(granted),
            voucher_share_fen: share,
            by: Some(user.id.0),
            reason: None,
            at: now.naive_utc(),
        },
    )?;
    audited(
        conn,
        user,
        (&row, &view),
        ("allocation.approved", None),
        now,
    )?;
    crate::notify::allocations::decided(conn, &row, &view)?;
    crate::webhooks::allocations::decided(conn, &row, &view)?;
    Ok(row)
}

/// Records a decision on the resource's institution's trail.
fn audited(
    conn: &mut DbConnection,
    user: &Actor,
    (row, view): (&AllocationRow, &ResourceView),
    (action, reason): (&str, Option<&str>),
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let change = crate::audit::Change {
        subject: ("allocation", row.id),
        action,
        owner: Some(view.row.organization_id),
        party: None,
        reason,
    };
    let after = serde_json::json!({
        "state": row.state.as_str(),
        "requested_unit_hours": row.requested_unit_hours,
        "granted_unit_hours": row.granted_unit_hours,
        "voucher_share_fen": row.voucher_share_fen,
    });
    crate::audit::record(
        conn,
        user,
        change,
        (None::<&()>, Some(&after)),
        now.naive_utc(),
    )
}

/// Locks the voucher, recomputes its share of the granted amount and holds it. A voucher that now
/// covers less than the enterprise accepted is a 409 `quote_changed`: nothing is written.
fn hold_share(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
    (voucher, granted): (i64, i64),
    user: &Actor,
    now: DateTime<Utc>,
) -> Result<Fen, ServiceError> {
    payment::lock_vouchers(conn, voucher)?;
    let gross = crate::domain::money::fee_for(a.rate_fen, 1, granted * 60, "unit_hours")?;
    let purpose = PurposeKind::parse(&a.purpose_kind).unwrap_or(PurposeKind::Research);
    let org = OrganizationId(a.organization_id);
    let share = payment::share_of(conn, (org, voucher), view, (gross, purpose), now)?;
    let accepted = a.accepted_co_payment_fen.unwrap_or(0);
    if gross - share.share_fen > accepted {
        let mut q = quote(conn, org, view, granted, (Some(voucher), purpose), now)?;
        q.co_payment_fen = gross - share.share_fen;
        let mut e = payment::quote_changed(&q, accepted);
        e.detail = format!(
            "the enterprise's voucher now covers only {} fen, so they would pay {} fen, more than \
             the {accepted} fen they accepted; reject with a reason so they can ask again",
            share.share_fen, q.co_payment_fen
        );
        return Err(e);
    }
    if share.share_fen > 0 {
        let claim = Claim::Allocation(a.id);
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

/// Rejects a pending allocation, saying why.
pub fn reject(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<AllocationRow, ServiceError> {
    let v = for_change(conn, user, AllocationId(id), true)?;
    let row = store::decide(
        conn,
        id,
        &Decision {
            state: AllocationState::Rejected,
            granted_unit_hours: None,
            voucher_share_fen: 0,
            by: Some(user.id.0),
            reason: Some(reason),
            at: now.naive_utc(),
        },
    )?;
    let why = ("allocation.rejected", Some(reason));
    audited(conn, user, (&row, &v.resource), why, now)?;
    crate::notify::allocations::decided(conn, &row, &v.resource)?;
    crate::webhooks::allocations::decided(conn, &row, &v.resource)?;
    Ok(row)
}

/// Withdraws a pending request (its organisation's members or the resource's staff).
pub fn cancel(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<AllocationRow, ServiceError> {
    let v = for_change(conn, user, AllocationId(id), false)?;
    let row = store::set_state(conn, id, AllocationState::Cancelled, now.naive_utc())?;
    let withdrawn = ("allocation.cancelled", None);
    audited(conn, user, (&row, &v.resource), withdrawn, now)?;
    Ok(row)
}
