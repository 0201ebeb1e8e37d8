//! A resource as the catalogue shows it: its row with names, jurisdiction, rates and operators.

use super::ResourceRow;
use crate::db::jurisdictions::JurisdictionRow;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::resource::{BookingRules, Rates, ResourceFields};
use crate::domain::types::{ApprovalPolicy, ConflictPolicy, ResourceKind, SelfOperation};

/// A resource with what its representation needs from other tables.
#[derive(Debug, Clone)]
pub struct ResourceView {
    pub row: ResourceRow,
    pub institution_en: String,
    pub institution_zh: String,
    pub jurisdiction: JurisdictionRow,
    pub rates: Rates,
    pub operator_ids: Vec<i64>,
}

impl ResourceView {
    pub fn rules(&self) -> BookingRules {
        let r = &self.row;
        BookingRules {
            granularity_min: r.granularity_min,
            min_duration_min: r.min_duration_min,
            max_duration_min: r.max_duration_min,
            lead_time_min: r.lead_time_min,
            cancel_lead_time_min: r.cancel_lead_time_min,
            advance_window_days: r.advance_window_days,
            setup_min: r.setup_min,
            teardown_min: r.teardown_min,
            no_show_grace_min: r.no_show_grace_min,
        }
    }

    pub fn specs(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(&self.row.specs) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }

    /// The writable fields as they stand, the base a merge patch applies to.
    pub fn fields(&self) -> ResourceFields {
        let r = &self.row;
        ResourceFields {
            organization_id: Some(OrganizationId(r.organization_id)),
            kind: ResourceKind::parse(&r.kind).unwrap_or(ResourceKind::Instrument),
            name_en: r.name_en.clone(),
            name_zh: r.name_zh.clone(),
            category: r.category.clone(),
            specs: self.specs(),
            original_value_cny: r.original_value_cny,
            jurisdiction_code: r.jurisdiction_code.clone(),
            location: r.location.clone(),
            timezone: r.timezone.clone(),
            status: r.status,
            status_reason: r.status_reason.clone(),
            capacity: r.capacity,
            unit: Some(r.unit.clone()),
            booking_rules: self.rules().into(),
            approval_policy: ApprovalPolicy::parse(&r.approval_policy)
                .unwrap_or(ApprovalPolicy::Manual),
            conflict_policy: ConflictPolicy::parse(&r.conflict_policy)
                .unwrap_or(ConflictPolicy::FirstCome),
            rates: self.rates,
            requires_qualification: r.self_operation != SelfOperation::Open,
            qualified_only: r.self_operation == SelfOperation::QualifiedOnly,
            operator_ids: self.operator_ids.iter().map(|id| UserId(*id)).collect(),
        }
    }
}
