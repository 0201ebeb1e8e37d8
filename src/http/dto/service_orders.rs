//! Services, their orders, an order's history and its report on the wire.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::db::service_orders::{EventRow, OrderRow, ReportMeta};
use crate::db::services::ServiceRow;
use crate::domain::money::PurposeKind;
use crate::domain::types::{OrderState, ServiceStatus};
use crate::service_orders::catalogue::purposes_of;

#[derive(Debug, Serialize)]
pub struct Prices {
    pub internal_fen: i64,
    pub academic_fen: i64,
    pub enterprise_fen: i64,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub id: i64,
    pub organization_id: i64,
    pub resource_id: Option<i64>,
    pub name_en: String,
    pub name_zh: String,
    pub measures: String,
    pub sample_requirements: String,
    pub category: String,
    pub prices: Prices,
    pub turnaround_days: i32,
    pub voucher_purposes: Vec<PurposeKind>,
    pub status: ServiceStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ServiceRow> for Service {
    fn from(s: ServiceRow) -> Service {
        Service {
            voucher_purposes: purposes_of(&s),
            id: s.id,
            organization_id: s.organization_id,
            resource_id: s.resource_id,
            name_en: s.name_en,
            name_zh: s.name_zh,
            measures: s.measures,
            sample_requirements: s.sample_requirements,
            category: s.category,
            prices: Prices {
                internal_fen: s.price_internal_fen,
                academic_fen: s.price_academic_fen,
                enterprise_fen: s.price_enterprise_fen,
            },
            turnaround_days: s.turnaround_days,
            status: s.status,
            version: s.version,
            created_at: s.created_at.and_utc(),
            updated_at: s.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ServiceOrder {
    pub id: i64,
    pub service_id: i64,
    pub institution_id: i64,
    pub resource_id: Option<i64>,
    pub organization_id: i64,
    pub requester_id: i64,
    pub samples: i64,
    pub notes: String,
    pub purpose_kind: String,
    pub customer_category: String,
    pub price_fen_per_sample: i64,
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrderRow> for ServiceOrder {
    fn from(o: OrderRow) -> ServiceOrder {
        ServiceOrder {
            id: o.id,
            service_id: o.service_id,
            institution_id: o.provider_id,
            resource_id: o.resource_id,
            organization_id: o.organization_id,
            requester_id: o.requester_id,
            samples: o.samples,
            notes: o.notes,
            purpose_kind: o.purpose_kind,
            customer_category: o.customer_category,
            price_fen_per_sample: o.price_fen,
            gross_fen: o.gross_fen,
            voucher_id: o.voucher_id,
            accepted_co_payment_fen: o.accepted_co_payment_fen,
            voucher_share_fen: o.voucher_share_fen,
            state: o.state,
            reason: o.reason,
            due_on: o.due_on,
            samples_measured: o.samples_measured,
            final_gross_fen: o.final_gross_fen,
            final_voucher_fen: o.final_voucher_fen,
            created_at: o.created_at.and_utc(),
            updated_at: o.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrderEvent {
    pub id: i64,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<EventRow> for OrderEvent {
    fn from(e: EventRow) -> OrderEvent {
        OrderEvent {
            id: e.id,
            event: e.event,
            from_state: e.from_state,
            to_state: e.to_state,
            actor_id: e.actor_id,
            reason: e.reason,
            at: e.at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub service_order_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: DateTime<Utc>,
}

impl From<ReportMeta> for Report {
    fn from(m: ReportMeta) -> Report {
        Report {
            service_order_id: m.order_id,
            file_name: m.file_name,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            uploaded_by: m.uploaded_by,
            uploaded_at: m.uploaded_at.and_utc(),
        }
    }
}
