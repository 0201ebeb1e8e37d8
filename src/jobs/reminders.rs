//! Reminds bookers before their booking starts: by default the day before at the same local time
//! (so across a DST change it is 23 or 25 hours before, as a person would expect), or the number
//! of minutes a resource sets. Queued once per booking and booker, whatever runs it or how often.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::QueryResult;

use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::db::settings;
use crate::db::{Db, DbConnection, resources};
use crate::domain::availability::Instant;
use crate::domain::ids::ResourceId;
use crate::domain::settings::{DEFAULT_REMINDER_MINUTES, Setting};
use crate::error::ServiceError;
use crate::notify::letters::{About, BookingNews, to_booker};
use crate::notify::{Envelope, queue, recipient};

/// How many reminders one run queues at most.
pub const BATCH: i64 = 200;

/// When the reminder for a booking starting at `start` goes out: `minutes` earlier on the
/// resource's wall clock. A local time that does not exist (spring forward) moves to just after.
pub fn due_at(start: Instant, minutes: i32, tz: Tz) -> Instant {
    let local = start.with_timezone(&tz).naive_local() - Duration::minutes(minutes.into());
    let resolve = |t: NaiveDateTime| tz.from_local_datetime(&t).earliest();
    resolve(local)
        .or_else(|| resolve(local + Duration::hours(1)))
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or(start - Duration::minutes(minutes.into()))
}

/// Confirmed bookings starting within the longest lead (plus an hour for DST) with no reminder
/// queued yet.
fn candidates(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<BookingRow>> {
    let longest = settings::largest(conn, Setting::ReminderLead)?;
    let horizon = longest.unwrap_or(0).max(DEFAULT_REMINDER_MINUTES) + 60;
    crate::db::due::unreminded(conn, now, Duration::minutes(horizon.into()), BATCH)
}

/// Queues the reminders due at `now`; returns how many.
pub fn run(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    db.write_blocking(|conn| {
        let at = now.naive_utc();
        let leads = settings::all(conn, Setting::ReminderLead)?;
        let mut views: HashMap<i64, Option<ResourceView>> = HashMap::new();
        let mut queued = 0;
        for booking in candidates(conn, at)? {
            let rid = booking.resource_id;
            if let std::collections::hash_map::Entry::Vacant(e) = views.entry(rid) {
                e.insert(resources::find(conn, ResourceId(rid))?);
            }
            let Some(view) = &views[&rid] else {
                continue;
            };
            let tz: Tz = view.row.timezone.parse().unwrap_or(Tz::UTC);
            let minutes = leads.get(&rid).copied().unwrap_or(DEFAULT_REMINDER_MINUTES);
            if due_at(booking.start_at.and_utc(), minutes, tz) <= now {
                queued += usize::from(remind(conn, &booking, view, at)?);
            }
        }
        Ok(queued)
    })
}

/// Queues the reminder of one booking to its booker; false when it was queued before.
fn remind(
    conn: &mut DbConnection,
    booking: &BookingRow,
    view: &ResourceView,
    at: NaiveDateTime,
) -> Result<bool, ServiceError> {
    let Some(to) = recipient(conn, booking.booker_id)? else {
        return Ok(false);
    };
    let about = About { booking, view };
    let letter = to_booker(BookingNews::Reminder, to.locale, &about, None);
    let env = Envelope {
        dedupe_key: format!("reminder:{}:{}", booking.id, to.id),
        kind: BookingNews::Reminder.kind(),
        booking: Some(booking.id),
        ics: Some(crate::booking::ics::booking_ics(booking, view)),
        at,
    };
    queue(conn, &to, &letter, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_before_at_the_same_local_time_across_dst() {
        let berlin = chrono_tz::Europe::Berlin;
        // Monday 30 March 2026, 09:00 in Berlin (CEST, UTC+2): summer time began on Sunday.
        let start: Instant = "2026-03-30T07:00:00Z".parse().unwrap();
        let due = due_at(start, DEFAULT_REMINDER_MINUTES, berlin);
        assert_eq!(
            due,
            "2026-03-29T07:00:00Z".parse::<Instant>().unwrap(),
            "Sunday 09:00 CEST"
        );
        assert_eq!((start - due).num_hours(), 24);
        // Sunday 29 March 09:00 CEST; the day before is Saturday 09:00 CET (UTC+1): 23 hours.
        let sunday: Instant = "2026-03-29T07:00:00Z".parse().unwrap();
        let due = due_at(sunday, DEFAULT_REMINDER_MINUTES, berlin);
        assert_eq!(due, "2026-03-28T08:00:00Z".parse::<Instant>().unwrap());
        assert_eq!((sunday - due).num_hours(), 23);
        // Shanghai has no DST: always 24 hours.
        let sh: Instant = "2026-12-01T01:00:00Z".parse().unwrap();
        assert_eq!(
            (sh - due_at(sh, DEFAULT_REMINDER_MINUTES, chrono_tz::Asia::Shanghai)).num_hours(),
            24
        );
    }

    #[test]
    fn a_missing_local_time_moves_after_the_gap() {
        let berlin = chrono_tz::Europe::Berlin;
        // 02:30 on 29 March 2026 does not exist in Berlin; a reminder due then goes at 03:30 CEST.
        let start: Instant = "2026-03-30T00:30:00Z".parse().unwrap(); // 02:30 CEST on the 30th
        let due = due_at(start, DEFAULT_REMINDER_MINUTES, berlin);
        assert_eq!(due, "2026-03-29T01:30:00Z".parse::<Instant>().unwrap());
    }
}
