//! Service orders (送样检测): an enterprise orders a published service for a number of samples,
//! the lab accepts it (holding the voucher's share of the price), receives the samples, measures
//! them and delivers a report; the voucher's share is captured on the samples actually measured
//! and released if the order is rejected or cancelled. The price is the service's at ordering.

pub mod catalogue;
pub mod report;
mod steps;

pub use steps::{accept, cancel, deliver, receive_samples, reject, start};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::payment::{self, VoucherShare};
use crate::db::service_orders::{self as store, NewOrder, OrderRow};
use crate::db::services::{self as services, ServiceRow};
use crate::db::{DbConnection, organizations, resources};
use crate::domain::actor::Actor;
use crate::domain::ids::{OrderId, OrganizationId, ResourceId, ServiceId};
use crate::domain::money::{self, CustomerCategory, Fen, Limit, PurposeKind};
use crate::domain::types::{OrderState, OrgKind, Province, ResourceKind, Role, ServiceStatus};
use crate::error::ServiceError;

/// The most samples one order takes.
pub const MAX_SAMPLES: i64 = 10_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub service_id: i64,
    pub samples: i64,
    #[serde(default)]
    pub notes: String,
    pub voucher_id: Option<i64>,
    pub purpose_kind: Option<PurposeKind>,
    pub accepted_co_payment_fen: Option<Fen>,
}

/// What an order of a service would cost and what a voucher would pay.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub service_id: i64,
    pub customer_category: CustomerCategory,
    pub price_fen_per_sample: Fen,
    pub samples: i64,
    pub gross_fen: Fen,
    pub purpose_kind: PurposeKind,
    pub voucher: Option<VoucherShare>,
    pub co_payment_fen: Fen,
}

/// A published service, or a 422 naming `service_id`.
fn offered(conn: &mut DbConnection, id: i64) -> Result<ServiceRow, ServiceError> {
    services::find(conn, ServiceId(id))?
        .filter(|s| s.status == ServiceStatus::Published)
        .ok_or_else(|| {
            ServiceError::invalid_field(
                "service_id",
                "no such service is offered; search GET /api/v1/services",
            )
        })
}

/// Who the orderer is to the lab, and the price per sample that follows.
fn price_for(
    conn: &mut DbConnection,
    org: OrganizationId,
    s: &ServiceRow,
) -> Result<(CustomerCategory, Fen), ServiceError> {
    let me = organizations::find(conn, org)?
        .ok_or_else(|| ServiceError::internal("caller's organisation vanished"))?;
    let kind = OrgKind::parse(&me.kind).unwrap_or(OrgKind::Enterprise);
    let category = money::customer_category(org.0, kind, s.organization_id);
    let price = match category {
        CustomerCategory::Internal => s.price_internal_fen,
        CustomerCategory::Academic => s.price_academic_fen,
        CustomerCategory::Enterprise => s.price_enterprise_fen,
    };
    Ok((category, price))
}

/// What a voucher would cover of `gross` for this service: the programme's rules on the lab's
/// province, the resource's kind (an instrument for a service on no resource) and the service's
/// category, and nothing for a purpose the service does not take vouchers for.
pub fn share(
    conn: &mut DbConnection,
    (org, voucher): (OrganizationId, i64),
    s: &ServiceRow,
    (gross, purpose): (Fen, PurposeKind),
    now: DateTime<Utc>,
) -> Result<VoucherShare, ServiceError> {
    let province = services::province_of(conn, s.organization_id)?
        .and_then(|p| Province::parse(&p))
        .unwrap_or(Province::SH);
    let kind = match s.resource_id {
        Some(r) => resources::find(conn, ResourceId(r))?
            .and_then(|v| ResourceKind::parse(&v.row.kind))
            .unwrap_or(ResourceKind::Instrument),
        None => ResourceKind::Instrument,
    };
    let terms = money::Service {
        provider_province: province,
        kind,
        category: &s.category,
        purpose,
    };
    let mut share = payment::share_for(conn, (org, voucher), &terms, gross, now)?;
    if !catalogue::purposes_of(s).contains(&purpose) && share.share_fen > 0 {
        share.share_fen = 0;
        share.limited_by = Some(Limit::IneligiblePurpose);
    }
    Ok(share)
}

/// Quotes `samples` of service `id` for the caller's organisation.
pub fn quote(
    conn: &mut DbConnection,
    user: &Actor,
    id: i64,
    (samples, voucher, purpose): (i64, Option<i64>, PurposeKind),
    now: DateTime<Utc>,
) -> Result<Quote, ServiceError> {
    let org = orderer(user)?;
    let s = services::find(conn, ServiceId(id))?
        .filter(|s| s.status == ServiceStatus::Published)
        .ok_or_else(|| ServiceError::not_found("service"))?;
    quote_of(conn, org, &s, (samples, voucher, purpose), now)
}

/// The quote for `org` of a service already loaded.
fn quote_of(
    conn: &mut DbConnection,
    org: OrganizationId,
    s: &ServiceRow,
    (samples, voucher, purpose): (i64, Option<i64>, PurposeKind),
    now: DateTime<Utc>,
) -> Result<Quote, ServiceError> {
    if !(1..=MAX_SAMPLES).contains(&samples) {
        return Err(ServiceError::invalid_field(
            "samples",
            format!("order 1 to {MAX_SAMPLES} samples"),
        ));
    }
    let (category, price) = price_for(conn, org, s)?;
    let gross = price.saturating_mul(samples);
    let voucher = voucher
        .map(|v| share(conn, (org, v), s, (gross, purpose), now))
        .transpose()?;
    let covered = voucher.as_ref().map_or(0, |v| v.share_fen);
    Ok(Quote {
        service_id: s.id,
        customer_category: category,
        price_fen_per_sample: price,
        samples,
        gross_fen: gross,
        purpose_kind: purpose,
        voucher,
        co_payment_fen: gross - covered,
    })
}

/// The ordering organisation: orders are placed by bookers of an enterprise or institution.
fn orderer(user: &Actor) -> Result<OrganizationId, ServiceError> {
    user.org
        .filter(|_| user.role == Role::Booker)
        .ok_or_else(|| {
            ServiceError::forbidden(
                "services are ordered by members of an enterprise or institution (bookers)",
            )
        })
}

/// The 409 when the co-payment would now be more than the orderer accepted.
fn quote_changed(q: &Quote, accepted: Fen) -> ServiceError {
    ServiceError::new(
        crate::error::ErrorCode::QuoteChanged,
        format!(
            "the co-payment would now be {} fen, more than the {accepted} fen you accepted; \
             order again with the fresh quote if it suits you",
            q.co_payment_fen
        ),
    )
    .with_extra("quote", q)
}

/// Places an order. Nothing is held yet: the voucher's share is held when the lab accepts it.
pub fn order(
    conn: &mut DbConnection,
    user: &Actor,
    r: Request,
    now: DateTime<Utc>,
) -> Result<OrderRow, ServiceError> {
    let org = orderer(user)?;
    if crate::domain::bad_char(&r.notes, true).is_some() || r.notes.chars().count() > 2000 {
        return Err(ServiceError::invalid_field(
            "notes",
            "at most 2000 characters, without control characters",
        ));
    }
    if r.voucher_id.is_some() && r.accepted_co_payment_fen.is_none() {
        return Err(ServiceError::invalid_field(
            "accepted_co_payment_fen",
            "with a voucher, say the co-payment you accept (from GET /api/v1/services/{id}/quote)",
        ));
    }
    let purpose = r.purpose_kind.unwrap_or(PurposeKind::Research);
    let s = offered(conn, r.service_id)?;
    let q = quote_of(conn, org, &s, (r.samples, r.voucher_id, purpose), now)?;
    if let Some(accepted) = r.accepted_co_payment_fen
        && q.co_payment_fen > accepted
    {
        return Err(quote_changed(&q, accepted));
    }
    let at = now.naive_utc();
    let row = store::insert(
        conn,
        &NewOrder {
            service_id: s.id,
            provider_id: s.organization_id,
            resource_id: s.resource_id,
            organization_id: org.0,
            requester_id: user.id.0,
            samples: r.samples,
            notes: r.notes.trim().to_owned(),
            purpose_kind: purpose.as_str().into(),
            customer_category: q.customer_category.as_str().into(),
            price_fen: q.price_fen_per_sample,
            gross_fen: q.gross_fen,
            voucher_id: r.voucher_id,
            accepted_co_payment_fen: r.accepted_co_payment_fen,
            state: OrderState::Submitted,
            created_at: at,
            updated_at: at,
        },
    )?;
    steps::logged(conn, user, (&row, &s), (None, "submitted", None), now)?;
    Ok(row)
}

/// An order the caller may see, its service, and whether the caller is of the lab's staff.
pub struct Visible {
    pub order: OrderRow,
    pub service: ServiceRow,
    pub staff: bool,
}

/// Whether `user` runs service `s`: an admin, a manager of its institution, or an operator of
/// its resource (of the institution, for a service on no resource).
pub fn is_staff(
    conn: &mut DbConnection,
    user: &Actor,
    s: &ServiceRow,
) -> Result<bool, ServiceError> {
    let own = user.org == Some(OrganizationId(s.organization_id));
    Ok(match user.role {
        Role::Admin => true,
        Role::Manager => own,
        Role::Operator => match s.resource_id {
            _ if !own => false,
            Some(r) => resources::is_operator(conn, ResourceId(r), user.id)?,
            None => true,
        },
        _ => false,
    })
}

/// Loads an order for its organisation's members and the lab's staff; 404 for everyone else.
pub fn visible(
    conn: &mut DbConnection,
    user: &Actor,
    id: OrderId,
) -> Result<Visible, ServiceError> {
    let order = store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("service order"))?;
    let service = services::find(conn, ServiceId(order.service_id))?
        .ok_or_else(|| ServiceError::internal("order without service"))?;
    let staff = is_staff(conn, user, &service)?;
    let member = user.org == Some(OrganizationId(order.organization_id));
    if staff || member {
        Ok(Visible {
            order,
            service,
            staff,
        })
    } else {
        Err(ServiceError::not_found("service order"))
    }
}
