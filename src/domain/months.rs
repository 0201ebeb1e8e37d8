//! Calendar months as reports count them: Asia/Shanghai months, whatever a resource's own zone,
//! so that every province's figures cover the same days.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Asia::Shanghai;

use super::Issue;

/// A month as the tables key it: "2026-03".
pub fn month_key(first: NaiveDate) -> String {
    first.format("%Y-%m").to_string()
}

/// The first day of the Shanghai month an instant (UTC) falls in.
pub fn month_of(t: NaiveDateTime) -> NaiveDate {
    let local = t.and_utc().with_timezone(&Shanghai).date_naive();
    local.with_day(1).unwrap_or(local)
}

/// The instant (UTC) a Shanghai day begins.
pub fn start_of(day: NaiveDate) -> NaiveDateTime {
    Shanghai
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(|| day.and_time(chrono::NaiveTime::MIN), |t| t.naive_utc())
}

/// The longest period a report or settlement covers, in days after its first.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Whole Shanghai days from `from` to `to`, both included, as UTC bounds; an issue on `to` when
/// it comes before `from` or more than [`MAX_PERIOD_DAYS`] after it.
pub fn whole_days(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDateTime, NaiveDateTime), Issue> {
    if !super::date_in_range(from) {
        return Err(Issue::field("from", super::date_range_message()));
    }
    if to < from || (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(Issue::field(
            "to",
            format!("must be on or after from, at most {MAX_PERIOD_DAYS} days later"),
        ));
    }
    Ok((start_of(from), start_of(to + Duration::days(1))))
}

/// The month after `first`.
pub fn next_month(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(Months::new(1)).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn whole_days_run_from_shanghai_midnight_to_the_midnight_after_the_last_day() {
        let (from, to) = whole_days(day(2026, 3, 1), day(2026, 3, 31)).unwrap();
        assert_eq!(from, day(2026, 2, 28).and_hms_opt(16, 0, 0).unwrap());
        assert_eq!(to, day(2026, 3, 31).and_hms_opt(16, 0, 0).unwrap());
    }

    #[test]
    fn a_period_is_refused_backwards_or_longer_than_its_limit() {
        assert!(whole_days(day(2026, 3, 2), day(2026, 3, 1)).is_err());
        assert!(whole_days(day(2026, 1, 1), day(2027, 1, 2)).is_ok());
        let issue = whole_days(day(2026, 1, 1), day(2027, 1, 3)).unwrap_err();
        assert_eq!(issue.field.as_deref(), Some("to"));
    }
}
