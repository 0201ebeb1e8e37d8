//! Wire types for the catalogue: resources, opening hours and blackouts.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{parse_instant, utc};
use crate::booking::blackout::Collision;
use crate::db::blackouts::BlackoutRow;
use crate::db::resources::ResourceView;
use crate::domain::opening::{OpeningHours as Hours, format_hhmm, weekday_name};
use crate::domain::resource::{BookingRules, Rates};
use crate::domain::types::SelfOperation;
use crate::error::ServiceError;

#[derive(Debug, Serialize)]
pub struct InstitutionRef {
    pub id: i64,
    pub name_en: String,
    pub name_zh: String,
}

#[derive(Debug, Serialize)]
pub struct JurisdictionRef {
    pub code: String,
    pub province: String,
    pub name_en: String,
    pub name_zh: String,
}

#[derive(Debug, Serialize)]
pub struct Resource {
    pub id: i64,
    pub institution: InstitutionRef,
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    pub specs: serde_json::Map<String, serde_json::Value>,
    pub original_value_cny: i64,
    pub jurisdiction: JurisdictionRef,
    pub location: String,
    pub timezone: String,
    pub status: crate::domain::types::ResourceStatus,
    pub status_reason: Option<String>,
    pub capacity: i64,
    pub unit: String,
    pub booking_rules: BookingRules,
    pub approval_policy: String,
    pub conflict_policy: String,
    pub rates: Rates,
    pub requires_qualification: bool,
    pub qualified_only: bool,
    pub operator_ids: Vec<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ResourceView> for Resource {
    fn from(v: ResourceView) -> Resource {
        let specs = v.specs();
        let booking_rules = v.rules();
        let r = v.row;
        Resource {
            id: r.id,
            institution: InstitutionRef {
                id: r.organization_id,
                name_en: v.institution_en,
                name_zh: v.institution_zh,
            },
            kind: r.kind,
            name_en: r.name_en,
            name_zh: r.name_zh,
            category: r.category,
            specs,
            original_value_cny: r.original_value_cny,
            jurisdiction: JurisdictionRef {
                code: v.jurisdiction.code,
                province: v.jurisdiction.province,
                name_en: v.jurisdiction.name_en,
                name_zh: v.jurisdiction.name_zh,
            },
            location: r.location,
            timezone: r.timezone,
            status: r.status,
            status_reason: r.status_reason,
            capacity: r.capacity,
            unit: r.unit,
            booking_rules,
            approval_policy: r.approval_policy,
            conflict_policy: r.conflict_policy,
            rates: v.rates,
            requires_qualification: r.self_operation != SelfOperation::Open,
            qualified_only: r.self_operation == SelfOperation::QualifiedOnly,
            operator_ids: v.operator_ids,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireResource {
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct ImportResult {
    pub imported: usize,
    pub resource_ids: Vec<i64>,
}

pub use crate::domain::written_hours::{ExceptionDay, WeeklyInterval};

#[derive(Debug, Serialize)]
pub struct OpeningHours {
    pub timezone: String,
    pub weekly: Vec<WeeklyInterval>,
    pub exceptions: Vec<ExceptionDay>,
}

impl OpeningHours {
    pub fn new(timezone: String, hours: Hours) -> OpeningHours {
        OpeningHours {
            timezone,
            weekly: hours
                .weekly
                .into_iter()
                .map(|r| WeeklyInterval {
                    weekday: weekday_name(r.weekday).into(),
                    start: format_hhmm(r.start_min),
                    end: format_hhmm(r.end_min),
                })
                .collect(),
            exceptions: hours
                .exceptions
                .into_iter()
                .map(|e| ExceptionDay {
                    date: e.day,
                    start: e.interval.map(|(s, _)| format_hhmm(s)),
                    end: e.interval.map(|(_, e)| format_hhmm(e)),
                    reason: e.reason,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceOpeningHours {
    #[serde(default)]
    pub timezone: Option<String>,
    pub weekly: Vec<WeeklyInterval>,
    #[serde(default)]
    pub exceptions: Vec<ExceptionDay>,
}

#[derive(Debug, Serialize)]
pub struct Blackout {
    pub id: i64,
    pub resource_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

impl From<BlackoutRow> for Blackout {
    fn from(b: BlackoutRow) -> Blackout {
        Blackout {
            id: b.id,
            resource_id: b.resource_id,
            start: utc(b.start_at),
            end: utc(b.end_at),
            reason: b.reason,
            created_by: b.created_by,
            created_at: utc(b.created_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBlackout {
    pub start: String,
    pub end: String,
    pub reason: String,
    /// What to do with bookings inside the blackout; without it, colliding bookings are a 409.
    #[serde(default)]
    pub collisions: Option<crate::booking::blackout::OnCollision>,
}

/// The longest blackout: two years, time for the largest refit.
pub const MAX_BLACKOUT_DAYS: i64 = 731;

impl CreateBlackout {
    /// The blackout's start, end and trimmed reason, checked.
    pub fn parse(&self) -> Result<(NaiveDateTime, NaiveDateTime, String), ServiceError> {
        let (start, end) = (
            parse_instant("start", &self.start)?,
            parse_instant("end", &self.end)?,
        );
        if start >= end || end - start > chrono::Duration::days(MAX_BLACKOUT_DAYS) {
            return Err(ServiceError::invalid_field(
                "end",
                format!("must be after start, at most {MAX_BLACKOUT_DAYS} days later"),
            ));
        }
        if !crate::domain::prose_fits(&self.reason, 500) {
            return Err(ServiceError::invalid_field(
                "reason",
                "say why (1 to 500 characters)",
            ));
        }
        Ok((start, end, self.reason.trim().to_owned()))
    }
}

/// A new blackout, with the bookings it fell on and what became of them.
#[derive(Debug, Serialize)]
pub struct CreatedBlackout {
    #[serde(flatten)]
    pub blackout: Blackout,
    pub collisions: Vec<Collision>,
}
