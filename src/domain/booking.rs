//! Booking rules that need no database: which states hold capacity, when a request expires, and
//! the words for each refusal.

use chrono::Duration;

use super::Issue;
use super::availability::{Instant, Refusal, Span};
use super::types::{BookingState, ConflictPolicy};

/// The longest window an availability question may span.
pub const MAX_WINDOW_DAYS: i64 = 62;

/// The longest slot an availability question may ask for, in minutes (366 days).
pub const MAX_SLOT_MIN: i64 = 366 * 1440;

/// A window `[from, to)` for an availability question, or the issue with it.
pub fn search_window(from: Instant, to: Instant) -> Result<Span, Issue> {
    if to <= from || (to - from).num_days() > MAX_WINDOW_DAYS {
        return Err(Issue::field(
            "to",
            format!("must be after from, at most {MAX_WINDOW_DAYS} days later"),
        ));
    }
    Ok(Span::new(from, to))
}

/// How long an operator has to decide on a request, unless the booking starts sooner.
pub const DECISION_HOURS: i64 = 72;

/// True when a booking in `state` holds its slot against others (docs/design.md §4).
pub fn is_blocking(state: BookingState, policy: ConflictPolicy) -> bool {
    match state {
        BookingState::Confirmed => true,
        BookingState::Pending => policy == ConflictPolicy::FirstCome,
        _ => false,
    }
}

/// When a pending request lapses: after the decision window, or at its start if that is sooner.
pub fn pending_deadline(now: Instant, start: Instant) -> Instant {
    (now + Duration::hours(DECISION_HOURS)).min(start)
}

/// True when a booking in `state` may still be cancelled by its booker or an operator.
pub fn cancellable(state: BookingState) -> bool {
    matches!(
        state,
        BookingState::Pending | BookingState::Confirmed | BookingState::Waitlisted
    )
}

/// A field and a sentence for a refusal, for the problem body.
pub fn explain(refusal: &Refusal) -> (&'static str, String) {
    match refusal {
        Refusal::EndNotAfterStart => ("end", "must be after start".into()),
        Refusal::QuantityNotPositive => ("quantity", "must be at least 1".into()),
        Refusal::QuantityAboveCapacity { capacity } => {
            ("quantity", format!("is above the resource's capacity of {capacity}"))
        }
        Refusal::Misaligned { granularity_min } => (
            "start",
            format!("start and end must fall on the resource's {granularity_min}-minute grid in its time zone"),
        ),
        Refusal::TooShort { min_minutes } => ("end", format!("bookings last at least {min_minutes} minutes")),
        Refusal::TooLong { max_minutes } => ("end", format!("bookings last at most {max_minutes} minutes")),
        Refusal::TooSoon { earliest } => (
            "start",
            format!("is too soon: the resource's lead time allows {} at the earliest", earliest.to_rfc3339()),
        ),
        Refusal::TooFarAhead { latest } => (
            "end",
            format!("is beyond the advance booking window, which ends at {}", latest.to_rfc3339()),
        ),
        Refusal::OutsideOpeningHours => (
            "start",
            "the interval is not within the resource's opening hours; see /opening-hours and /availability".into(),
        ),
        Refusal::Blackout { .. } => ("start", "the interval overlaps a blackout of the resource".into()),
        Refusal::Conflict { .. } => ("start", "the interval is already taken".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn pending_holds_only_first_come_slots() {
        assert!(is_blocking(
            BookingState::Pending,
            ConflictPolicy::FirstCome
        ));
        assert!(!is_blocking(
            BookingState::Pending,
            ConflictPolicy::OperatorChoice
        ));
        assert!(is_blocking(
            BookingState::Confirmed,
            ConflictPolicy::OperatorChoice
        ));
        assert!(!is_blocking(
            BookingState::Cancelled,
            ConflictPolicy::FirstCome
        ));
    }

    #[test]
    fn deadline_is_the_sooner_of_window_and_start() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let soon = now + Duration::hours(5);
        assert_eq!(pending_deadline(now, soon), soon);
        let later = now + Duration::days(30);
        assert_eq!(
            pending_deadline(now, later),
            now + Duration::hours(DECISION_HOURS)
        );
    }
}
