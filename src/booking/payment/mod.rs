//! How a booking is paid: its price at the booker's customer category, the share a voucher covers,
//! and the voucher's hold, release and capture. Every ledger line is written in the transaction of
//! the booking change that causes it, after the resource's lock and then the enterprise's vouchers
//! of that programme are locked (always in that order, so two bookings never wait on each other).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::calendar::naive;
use crate::db::resources::ResourceView;
use crate::db::{DbConnection, organizations};
use crate::domain::availability::Instant;
use crate::domain::ids::{OrganizationId, VoucherId};
use crate::domain::money::{self, CustomerCategory, Fen, PurposeKind, Service, Split, Tariff};
use crate::domain::types::{OrgKind, Province, RatePer, ResourceKind};
use crate::error::{ErrorCode, ServiceError};
use crate::vouchers::{self};

mod ledger;

pub use ledger::{
    capture, capture_allocation, capture_claim, final_gross, hold, lock_vouchers, release,
    release_claim, release_untold,
};

/// The fee for a slot at the caller's customer category.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Price {
    pub customer_category: CustomerCategory,
    /// The rate, per unit-hour or per shift as `rate_per` says.
    pub rate_fen: Fen,
    pub rate_per: RatePer,
    /// The shift's length when priced per shift.
    pub shift_min: Option<i64>,
    /// The rate per unit-hour, or what a shift's rate comes to per hour.
    pub rate_fen_per_unit_hour: Fen,
    pub quantity: i64,
    pub minutes: i64,
    pub gross_fen: Fen,
}

/// What a voucher would cover of a price.
#[derive(Debug, Clone, Serialize)]
pub struct VoucherShare {
    pub id: i64,
    pub program: String,
    pub share_fen: Fen,
    pub limited_by: Option<money::Limit>,
}

/// A quote: the price, the voucher's share (if a voucher was named) and the co-payment.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub resource_id: i64,
    #[serde(flatten)]
    pub price: Price,
    pub purpose_kind: PurposeKind,
    pub voucher: Option<VoucherShare>,
    pub co_payment_fen: Fen,
}

impl Quote {
    pub fn voucher_share(&self) -> Fen {
        self.voucher.as_ref().map_or(0, |v| v.share_fen)
    }
}

/// The price of `quantity` units for `minutes` on `view` for someone of organisation `org`.
pub fn price(
    conn: &mut DbConnection,
    org: OrganizationId,
    view: &ResourceView,
    quantity: i64,
    minutes: i64,
) -> Result<Price, ServiceError> {
    let me = organizations::find(conn, org)?
        .ok_or_else(|| ServiceError::internal("caller's organisation vanished"))?;
    let kind = OrgKind::parse(&me.kind).unwrap_or(OrgKind::Enterprise);
    let category = money::customer_category(org.0, kind, view.row.organization_id);
    let rate = match category {
        CustomerCategory::Internal => view.rates.internal,
        CustomerCategory::Academic => view.rates.academic,
        CustomerCategory::Enterprise => view.rates.enterprise,
    };
    let shift_min = (view.rates.per == RatePer::Shift).then(|| view.row.granularity_min.into());
    let tariff = Tariff { rate, shift_min };
    Ok(Price {
        customer_category: category,
        rate_fen: rate,
        rate_per: view.rates.per,
        shift_min,
        rate_fen_per_unit_hour: tariff.per_unit_hour(),
        quantity,
        minutes,
        gross_fen: tariff.fee_for(quantity, minutes, "end")?,
    })
}

fn service(view: &ResourceView, purpose: PurposeKind) -> Service<'_> {
    Service {
        provider_province: Province::parse(&view.jurisdiction.province).unwrap_or(Province::SH),
        kind: ResourceKind::parse(&view.row.kind).unwrap_or(ResourceKind::Instrument),
        category: &view.row.category,
        purpose,
    }
}

/// A voucher of `org`, or a 422 naming `field` when it is not one of theirs.
fn own_voucher(
    conn: &mut DbConnection,
    org: OrganizationId,
    id: i64,
    now: NaiveDateTime,
    field: &str,
) -> Result<vouchers::Loaded, ServiceError> {
    vouchers::load(conn, VoucherId(id), now)?
        .filter(|v| v.voucher.enterprise_id == org.0)
        .ok_or_else(|| {
            ServiceError::invalid_field(
                field,
                format!("voucher {id} is not one of your organisation's"),
            )
        })
}

/// What voucher `id` of `org` would cover of `gross` on `view` for `purpose` at `now`.
pub fn share_of(
    conn: &mut DbConnection,
    (org, id): (OrganizationId, i64),
    view: &ResourceView,
    (gross, purpose): (Fen, PurposeKind),
    now: Instant,
) -> Result<VoucherShare, ServiceError> {
    share_for(conn, (org, id), &service(view, purpose), gross, now)
}

/// What voucher `id` of `org` would cover of `gross` for `service` at `now`.
pub fn share_for(
    conn: &mut DbConnection,
    (org, id): (OrganizationId, i64),
    service: &Service<'_>,
    gross: Fen,
    now: Instant,
) -> Result<VoucherShare, ServiceError> {
    let v = own_voucher(conn, org, id, naive(now), "voucher_id")?;
    let split: Split = money::split(gross, &vouchers::terms(&v.program), v.standing, service);
    Ok(VoucherShare {
        id,
        program: v.program.code,
        share_fen: split.voucher_share,
        limited_by: split.limited_by,
    })
}

/// Quotes a slot for `org`, with what voucher `voucher` would cover at `now`.
pub fn quote(
    conn: &mut DbConnection,
    org: OrganizationId,
    view: &ResourceView,
    (quantity, minutes): (i64, i64),
    voucher: Option<i64>,
    purpose: PurposeKind,
    now: Instant,
) -> Result<Quote, ServiceError> {
    let price = price(conn, org, view, quantity, minutes)?;
    let share = match voucher {
        None => None,
        Some(id) => Some(share_of(
            conn,
            (org, id),
            view,
            (price.gross_fen, purpose),
            now,
        )?),
    };
    let covered = share.as_ref().map_or(0, |s| s.share_fen);
    Ok(Quote {
        resource_id: view.row.id,
        price,
        purpose_kind: purpose,
        voucher: share,
        co_payment_fen: price.gross_fen - covered,
    })
}

/// The 409 when a voucher now covers less than the booker accepted: nothing is written, and the
/// fresh quote comes with the refusal.
pub fn quote_changed(fresh: &Quote, accepted: Fen) -> ServiceError {
    ServiceError::new(
        ErrorCode::QuoteChanged,
        format!(
            "the co-payment would now be {} fen, more than the {accepted} fen you accepted; \
             book again with the fresh quote if it suits you",
            fresh.co_payment_fen
        ),
    )
    .with_extra("quote", fresh)
}
