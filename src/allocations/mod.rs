//! Computing allocations: an enterprise asks for a quota of unit-hours on a computing resource for
//! a project and period; the resource's operators approve it (possibly for less) or reject it.
//! The price is the rate card's at request; a voucher's share is held at approval, captured as
//! usage is recorded (see [`usage`]) and released when the allocation ends.

mod decide;
pub mod usage;

pub use decide::{approve, cancel, reject};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::booking::payment::{self, Quote};
use crate::db::allocations::{self as store, AllocationRow, NewAllocation};
use crate::db::resources::{self, ResourceView};
use crate::db::{DbConnection, organizations};
use crate::domain::actor::Actor;
use crate::domain::ids::{AllocationId, OrganizationId, ResourceId};
use crate::domain::ledger::Claim;
use crate::domain::money::{Fen, PurposeKind};
use crate::domain::types::AllocationState;
use crate::domain::types::{ResourceKind, Role};
use crate::error::ServiceError;

/// Days after its last day an allocation stays open for late accounting before its hold is
/// released: centres often export a day's jobs the next morning, or after a weekend.
pub const GRACE_DAYS: i64 = 7;

/// The longest period one allocation may cover.
pub const MAX_DAYS: i64 = 731;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub resource_id: i64,
    pub project: String,
    pub account: String,
    pub unit_hours: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub voucher_id: Option<i64>,
    pub purpose_kind: Option<PurposeKind>,
    pub accepted_co_payment_fen: Option<Fen>,
}

/// The resource's time zone.
pub fn tz(view: &ResourceView) -> Tz {
    view.row.timezone.parse().unwrap_or(Tz::UTC)
}

/// The first instant of `day` in `tz`.
pub fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

fn computing(conn: &mut DbConnection, id: i64, field: &str) -> Result<ResourceView, ServiceError> {
    let view = resources::find(conn, ResourceId(id))?
        .ok_or_else(|| ServiceError::invalid_field(field, "no such resource"))?;
    if ResourceKind::parse(&view.row.kind) != Some(ResourceKind::Computing) {
        return Err(ServiceError::invalid_field(
            field,
            "allocations are for computing resources; book instruments and facilities by slot",
        ));
    }
    Ok(view)
}

/// Field checks that need no database.
fn check(r: &Request, today: NaiveDate) -> Result<(), ServiceError> {
    let mut issues = Vec::new();
    let mut bad =
        |field: &str, message: &str| issues.push(crate::domain::Issue::field(field, message));
    if !crate::domain::text_fits(&r.project, 200) {
        bad("project", "name the project (1 to 200 characters)");
    }
    let account_ok = !r.account.is_empty()
        && r.account.len() <= 64
        && r.account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !account_ok {
        bad(
            "account",
            "the account jobs are charged to: 1 to 64 letters, digits, '-', '_' or '.'",
        );
    }
    if r.unit_hours <= 0 {
        bad("unit_hours", "must be a whole number above 0");
    }
    if !crate::domain::date_in_range(r.starts_on) {
        bad("starts_on", &crate::domain::date_range_message());
    }
    if r.ends_on < r.starts_on || (r.ends_on - r.starts_on).num_days() >= MAX_DAYS {
        bad(
            "ends_on",
            "must be on or after starts_on, at most two years later",
        );
    }
    if r.ends_on < today {
        bad("ends_on", "must not be in the past");
    }
    if r.accepted_co_payment_fen.is_some_and(|f| f < 0) {
        bad("accepted_co_payment_fen", "must be 0 or more fen");
    }
    if r.voucher_id.is_some() && r.accepted_co_payment_fen.is_none() {
        bad(
            "accepted_co_payment_fen",
            "with a voucher, say the co-payment you accept (from GET /resources/{id}/quote)",
        );
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::validation(issues))
    }
}

/// What the resource can deliver over the period, in unit-hours.
fn most_unit_hours(view: &ResourceView, r: &Request) -> i64 {
    let days = (r.ends_on - r.starts_on).num_days() + 1;
    view.row.capacity.max(1).saturating_mul(24 * days)
}

/// The price of `unit_hours` for `org` with the voucher's share, as a quote.
pub(super) fn quote(
    conn: &mut DbConnection,
    org: OrganizationId,
    view: &ResourceView,
    unit_hours: i64,
    (voucher, purpose): (Option<i64>, PurposeKind),
    now: DateTime<Utc>,
) -> Result<Quote, ServiceError> {
    payment::quote(conn, org, view, (1, unit_hours * 60), voucher, purpose, now)
}

/// Records a request. Nothing is held yet: the voucher's share is held when it is approved.
pub fn request(
    conn: &mut DbConnection,
    user: &Actor,
    r: Request,
    now: DateTime<Utc>,
) -> Result<AllocationRow, ServiceError> {
    let Some(org) = user.org.filter(|_| user.role == Role::Booker) else {
        return Err(ServiceError::forbidden(
            "allocations are requested by members of an enterprise or institution (bookers)",
        ));
    };
    let view = computing(conn, r.resource_id, "resource_id")?;
    check(&r, now.with_timezone(&tz(&view)).date_naive())?;
    if r.unit_hours > most_unit_hours(&view, &r) {
        return Err(ServiceError::invalid_field(
            "unit_hours",
            format!(
                "more than the resource's {} units can give in the period ({} unit-hours)",
                view.row.capacity,
                most_unit_hours(&view, &r)
            ),
        ));
    }
    let purpose = r.purpose_kind.unwrap_or(PurposeKind::Research);
    let q = quote(conn, org, &view, r.unit_hours, (r.voucher_id, purpose), now)?;
    if let Some(accepted) = r.accepted_co_payment_fen
        && q.co_payment_fen > accepted
    {
        return Err(payment::quote_changed(&q, accepted));
    }
    let at = now.naive_utc();
    let row = store::insert(
        conn,
        &NewAllocation {
            resource_id: view.row.id,
            organization_id: org.0,
            requester_id: user.id.0,
            project: r.project.trim().to_owned(),
            account: r.account,
            state: AllocationState::Pending,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            requested_unit_hours: r.unit_hours,
            customer_category: q.price.customer_category.as_str().into(),
            rate_fen: q.price.rate_fen,
            purpose_kind: purpose.as_str().into(),
            voucher_id: r.voucher_id,
            accepted_co_payment_fen: r.accepted_co_payment_fen,
            created_at: at,
            updated_at: at,
        },
    )?;
    crate::notify::allocations::requested(conn, &row, &view)?;
    Ok(row)
}

/// An allocation the caller may see, and whether they run its resource.
pub struct Visible {
    pub allocation: AllocationRow,
    pub resource: ResourceView,
    pub staff: bool,
}

/// Loads an allocation for its organisation's members and the resource's staff; 404 for others.
pub fn visible(
    conn: &mut DbConnection,
    user: &Actor,
    id: AllocationId,
) -> Result<Visible, ServiceError> {
    let allocation = store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("allocation"))?;
    let resource = resources::find(conn, ResourceId(allocation.resource_id))?
        .ok_or_else(|| ServiceError::internal("allocation without resource"))?;
    let staff = crate::booking::is_staff(conn, user, &resource)?;
    let member = user.org == Some(OrganizationId(allocation.organization_id));
    if staff || member {
        Ok(Visible {
            allocation,
            resource,
            staff,
        })
    } else {
        Err(ServiceError::not_found("allocation"))
    }
}

/// Ends allocations whose period (and grace for late accounting) is over, releasing what their
/// voucher still holds; returns how many ended. Each ends in its own transaction.
pub fn end_finished(
    db: &crate::db::Db,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize, ServiceError> {
    let shanghai = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let due = db.read_blocking(|conn| {
        Ok::<_, ServiceError>(store::ended_before(
            conn,
            shanghai - Duration::days(GRACE_DAYS),
            limit,
        )?)
    })?;
    for id in &due {
        db.write_blocking(|conn| {
            store::lock(conn, &[*id])?;
            let Some(a) = store::find(conn, AllocationId(*id))?
                .filter(|a| a.state == AllocationState::Approved)
            else {
                return Ok(());
            };
            let at = now.naive_utc();
            store::set_state(conn, a.id, AllocationState::Ended, at)?;
            if let Some(voucher) = a.voucher_id {
                let why = (None, "allocation ended");
                payment::release_claim(conn, voucher, Claim::Allocation(a.id), why, at)?;
            }
            Ok::<_, ServiceError>(())
        })?;
    }
    Ok(due.len())
}

/// The organisation's name in English, for operators' letters.
pub fn organisation_name(conn: &mut DbConnection, id: i64) -> Result<String, ServiceError> {
    Ok(organizations::find(conn, OrganizationId(id))?
        .map(|o| o.name_en)
        .unwrap_or_default())
}
