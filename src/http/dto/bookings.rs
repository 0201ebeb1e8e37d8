//! Wire types for bookings, decisions, availability and qualifications.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::utc;
use crate::booking::search::Candidate;
use crate::booking::series::Outcome;
use crate::db::booking_events::EventRow;
use crate::db::bookings::BookingRow;
use crate::domain::availability::{Instant, Span};
use crate::domain::money::PurposeKind;
use crate::domain::resource::Rates;
use crate::domain::types::{BookingState, RatePer};
use crate::http::dto::resources::InstitutionRef;

/// An instant in the resource's local time, with its offset.
pub fn local(t: Instant, tz: Tz) -> DateTime<FixedOffset> {
    t.with_timezone(&tz).fixed_offset()
}

#[derive(Debug, Serialize)]
pub struct Booking {
    pub id: i64,
    pub resource_id: i64,
    pub booker_id: i64,
    pub organization_id: i64,
    pub state: crate::domain::types::BookingState,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: String,
    pub start_local: DateTime<FixedOffset>,
    pub end_local: DateTime<FixedOffset>,
    pub quantity: i64,
    pub purpose: String,
    pub waitlist: bool,
    pub series_id: Option<String>,
    pub pending_deadline: Option<DateTime<Utc>>,
    pub operation: &'static str,
    pub check_in_at: Option<DateTime<Utc>>,
    pub check_out_at: Option<DateTime<Utc>>,
    pub payment: Payment,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a booking costs and who pays: priced when requested, charged on actual use at completion.
#[derive(Debug, Serialize)]
pub struct Payment {
    pub customer_category: String,
    /// The rate booked at, per unit-hour or per shift as `rate_per` says.
    pub rate_fen: i64,
    pub rate_per: &'static str,
    pub shift_min: Option<i32>,
    pub rate_fen_per_unit_hour: i64,
    pub gross_fen: i64,
    pub purpose_kind: String,
    pub voucher_id: Option<i64>,
    pub voucher_share_fen: i64,
    pub co_payment_fen: i64,
    /// Set at completion: the fee for the recorded use at the booked rate.
    pub final_gross_fen: Option<i64>,
    /// Set at completion: what the voucher paid of it (captured from the hold).
    pub final_voucher_fen: Option<i64>,
    pub final_co_payment_fen: Option<i64>,
}

impl Payment {
    fn of(b: &BookingRow) -> Payment {
        Payment {
            customer_category: b.customer_category.clone(),
            rate_fen: b.rate_fen,
            rate_per: match b.shift_min {
                Some(_) => RatePer::Shift.as_str(),
                None => RatePer::UnitHour.as_str(),
            },
            shift_min: b.shift_min,
            rate_fen_per_unit_hour: b.tariff().per_unit_hour(),
            gross_fen: b.gross_fen,
            purpose_kind: b.purpose_kind.clone(),
            voucher_id: b.voucher_id,
            voucher_share_fen: b.voucher_share_fen,
            co_payment_fen: b.gross_fen - b.voucher_share_fen,
            final_gross_fen: b.final_gross_fen,
            final_voucher_fen: b.final_voucher_fen,
            final_co_payment_fen: b
                .final_gross_fen
                .map(|g| g - b.final_voucher_fen.unwrap_or(0)),
        }
    }
}

impl Booking {
    pub fn new(b: BookingRow, tz: Tz) -> Booking {
        let (start, end) = (utc(b.start_at), utc(b.end_at));
        let payment = Payment::of(&b);
        Booking {
            payment,
            id: b.id,
            resource_id: b.resource_id,
            booker_id: b.booker_id,
            organization_id: b.organization_id,
            state: b.state,
            start,
            end,
            timezone: tz.name().to_owned(),
            start_local: local(start, tz),
            end_local: local(end, tz),
            quantity: b.quantity,
            purpose: b.purpose,
            waitlist: b.wants_waitlist,
            series_id: b.series_id,
            pending_deadline: b.pending_deadline.map(utc),
            operation: if b.operator_assisted {
                "assisted"
            } else {
                "self"
            },
            check_in_at: b.check_in_at.map(utc),
            check_out_at: b.check_out_at.map(utc),
            version: b.version,
            created_at: utc(b.created_at),
            updated_at: utc(b.updated_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBooking {
    pub resource_id: i64,
    pub start: String,
    pub end: String,
    #[serde(default = "one")]
    pub quantity: i64,
    pub purpose: String,
    #[serde(default)]
    pub waitlist: bool,
    #[serde(default = "research")]
    pub purpose_kind: PurposeKind,
    pub voucher_id: Option<i64>,
    pub accepted_co_payment_fen: Option<i64>,
    /// For a resource's staff: the booker to book for.
    pub booker_id: Option<i64>,
}

fn research() -> PurposeKind {
    PurposeKind::Research
}

fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

impl Reason {
    /// The reason, trimmed: 1 to 500 characters, or a 422.
    pub fn text(self) -> Result<String, crate::error::ServiceError> {
        if !crate::domain::prose_fits(&self.reason, 500) {
            return Err(crate::error::ServiceError::invalid_field(
                "reason",
                "say why (1 to 500 characters)",
            ));
        }
        Ok(self.reason.trim().to_owned())
    }
}

#[derive(Debug, Serialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl From<Span> for Interval {
    fn from(s: Span) -> Interval {
        Interval {
            start: s.start,
            end: s.end,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub start_local: DateTime<FixedOffset>,
    pub end_local: DateTime<FixedOffset>,
}

impl Slot {
    pub fn new(s: Span, tz: Tz) -> Slot {
        Slot {
            start: s.start,
            end: s.end,
            start_local: local(s.start, tz),
            end_local: local(s.end, tz),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Alternative {
    pub resource_id: i64,
    pub resource_name_en: String,
    pub resource_name_zh: String,
    pub province: String,
    #[serde(flatten)]
    pub slot: Slot,
}

#[derive(Debug, Serialize)]
pub struct Availability {
    pub resource_id: i64,
    pub timezone: String,
    pub quantity: i64,
    pub duration_min: i64,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<EventRow> for HistoryEntry {
    fn from(e: EventRow) -> HistoryEntry {
        HistoryEntry {
            id: e.id,
            event: e.event,
            from_state: e.from_state,
            to_state: e.to_state,
            actor_id: e.actor_id,
            reason: e.reason,
            at: utc(e.at),
        }
    }
}

/// A pending request in the decision queue, with the live requests it competes with.
#[derive(Debug, Serialize)]
pub struct QueueEntry {
    pub booking: Booking,
    pub competitors: Vec<Booking>,
}

/// What became of one occurrence of a weekly series.
#[derive(Debug, Serialize)]
pub struct Occurrence {
    pub index: usize,
    pub slot: Slot,
    /// `booked`, `waitlisted` or `skipped`.
    pub result: &'static str,
    pub booking: Option<Booking>,
    pub reason: Option<String>,
}

impl Occurrence {
    pub fn new(index: usize, span: Span, outcome: Outcome, tz: Tz) -> Occurrence {
        let slot = Slot::new(span, tz);
        match outcome {
            Outcome::Booked(row) => Occurrence {
                index,
                slot,
                result: match row.state {
                    BookingState::Waitlisted => "waitlisted",
                    _ => "booked",
                },
                booking: Some(Booking::new(*row, tz)),
                reason: None,
            },
            Outcome::Skipped(reason) => Occurrence {
                index,
                slot,
                result: "skipped",
                booking: None,
                reason: Some(reason),
            },
        }
    }
}

/// A weekly series as created: its id and each occurrence's result.
#[derive(Debug, Serialize)]
pub struct Series {
    pub series_id: String,
    pub occurrences: Vec<Occurrence>,
}

/// A resource as a regional availability search shows it.
#[derive(Debug, Serialize)]
pub struct FreeResource {
    pub id: i64,
    pub name_en: String,
    pub name_zh: String,
    pub kind: String,
    pub institution: InstitutionRef,
    pub province: String,
    pub city_en: String,
    pub rates: Rates,
}

/// A resource and its earliest free slots that fit the search.
#[derive(Debug, Serialize)]
pub struct FreeSlot {
    pub resource: FreeResource,
    /// The earliest of `slots`.
    pub slot: Slot,
    pub slots: Vec<Slot>,
}

impl From<Candidate> for FreeSlot {
    fn from(c: Candidate) -> FreeSlot {
        let tz = c.loaded.tz;
        let v = c.loaded.view;
        FreeSlot {
            resource: FreeResource {
                id: v.row.id,
                name_en: v.row.name_en,
                name_zh: v.row.name_zh,
                kind: v.row.kind,
                institution: InstitutionRef {
                    id: v.row.organization_id,
                    name_en: v.institution_en,
                    name_zh: v.institution_zh,
                },
                province: v.jurisdiction.province,
                city_en: v.jurisdiction.name_en,
                rates: v.rates,
            },
            slot: Slot::new(c.slots[0], tz),
            slots: c.slots.into_iter().map(|s| Slot::new(s, tz)).collect(),
        }
    }
}
