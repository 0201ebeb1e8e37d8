//! Weekly series: the same local wall-clock time each week (DST-aware), each occurrence booked,
//! waitlisted or skipped with its reason, all in one transaction.

use chrono::{Duration, TimeZone};
use chrono_tz::Tz;

use super::calendar::naive;
use super::create::{self, Failure, Request};
use crate::db::bookings::BookingRow;
use crate::db::{DbConnection, resources};
use crate::domain::actor::Actor;
use crate::domain::availability::{Instant, Span};
use crate::error::{ErrorCode, ServiceError};
use crate::notify::series::{Line, SeriesNews};

pub enum Outcome {
    Booked(Box<BookingRow>),
    Skipped(String),
}

/// The `k`-th weekly repetition of `first` at the same local time in `tz`.
pub fn weekly(first: Span, tz: Tz, k: i64) -> Option<Span> {
    let shift = |t: Instant| {
        let local = t.with_timezone(&tz).naive_local() + Duration::days(7 * k);
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    Some(Span::new(shift(first.start)?, shift(first.end)?))
}

/// Where the `k`-th occurrence falls: at the same local time, or, when that local time does not
/// exist that week (clocks jump over it), `Err` with a span on that week's own date, to report.
pub fn occurrence(first: Span, tz: Tz, k: i64) -> Result<Span, Span> {
    weekly(first, tz, k).ok_or_else(|| {
        let weeks = Duration::days(7 * k);
        Span::new(first.start + weeks, first.end + weeks)
    })
}

pub fn create_series(
    conn: &mut DbConnection,
    actor: &Actor,
    first: &Request,
    weeks: i64,
    now: Instant,
) -> Result<(String, Vec<(Span, Outcome)>), ServiceError> {
    let view = resources::find(conn, first.resource)?.ok_or_else(|| {
        ServiceError::invalid_field(
            "resource_id",
            format!("resource {} does not exist", first.resource),
        )
    })?;
    let tz: Tz = view
        .row
        .timezone
        .parse()
        .map_err(|_| ServiceError::internal("stored time zone is invalid"))?;
    let series = uuid::Uuid::new_v4().to_string();
    let mut out = Vec::new();
    for k in 0..weeks {
        let span = match occurrence(first.span, tz, k) {
            Ok(span) => span,
            Err(nominal) => {
                let why = "that local time does not exist that week".into();
                out.push((nominal, Outcome::Skipped(why)));
                continue;
            }
        };
        let request = Request {
            span,
            series: Some(series.clone()),
            ..first.clone()
        };
        let outcome = match create::create(conn, actor, &request, now) {
            Ok(made) => Outcome::Booked(Box::new(made.row)),
            Err(Failure::Conflict(_)) => Outcome::Skipped("the slot is taken".into()),
            Err(Failure::Closed(e)) => Outcome::Skipped(e.detail),
            Err(Failure::Service(e))
                if matches!(
                    e.code,
                    ErrorCode::ValidationFailed | ErrorCode::QuoteChanged
                ) =>
            {
                Outcome::Skipped(e.detail)
            }
            Err(Failure::Service(e)) => return Err(e),
        };
        out.push((span, outcome));
    }
    let lines: Vec<Line<'_>> = out
        .iter()
        .map(|(span, outcome)| Line {
            span: *span,
            outcome: match outcome {
                Outcome::Booked(b) => Ok(b.as_ref()),
                Outcome::Skipped(why) => Err(why.as_str()),
            },
        })
        .collect();
    let booker = first.on_behalf.unwrap_or(actor.id).0;
    let news = (series.as_str(), SeriesNews::Booked);
    crate::notify::series::told(conn, news, (booker, &view), &lines, naive(now))?;
    Ok((series, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_occurrence_in_a_clock_jump_is_reported_on_its_own_date() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Sunday 21 March 2027, 02:30 to 03:30 in Berlin; a week later 02:30 does not exist.
        let start: Instant = "2027-03-21T01:30:00Z".parse().unwrap();
        let first = Span::new(start, start + Duration::hours(1));
        let skipped = occurrence(first, berlin, 1).unwrap_err();
        let day = skipped.start.with_timezone(&berlin).date_naive();
        assert_eq!(day.to_string(), "2027-03-28");
        let later = occurrence(first, berlin, 2).unwrap();
        assert_eq!(later.start.to_rfc3339(), "2027-04-04T00:30:00+00:00");
    }
}
