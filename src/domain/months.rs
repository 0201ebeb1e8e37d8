//! Calendar months as reports count them: Asia/Shanghai months, whatever a resource's own zone,
//! so that every province's figures cover the same days.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Asia::Shanghai;

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

/// The month after `first`.
pub fn next_month(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(Months::new(1)).unwrap_or(first)
}
