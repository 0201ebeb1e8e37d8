//! Bookings as iCalendar events. A booking keeps one UID for its whole life and its row's version
//! as SEQUENCE, so each later calendar (a confirmation, then a cancellation) supersedes the one
//! before in any calendar application that imported it.

use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::domain::ics::{self, Event, Method};
use crate::domain::types::BookingState;

/// The UID of a booking's calendar entry, the same in every download, mail and feed.
pub fn uid(booking: i64) -> String {
    format!("booking-{booking}@instrument-booking")
}

/// The entry's STATUS: confirmed, tentative while it waits, or cancelled.
pub fn status(state: BookingState) -> &'static str {
    match state {
        BookingState::Confirmed | BookingState::Completed => "CONFIRMED",
        BookingState::Pending | BookingState::Waitlisted => "TENTATIVE",
        _ => "CANCELLED",
    }
}

/// What a calendar application should do with the booking as it now stands: add or update it
/// while it is to happen, remove it once it will not.
pub fn method_for(state: BookingState) -> Method {
    match status(state) {
        "CANCELLED" => Method::Cancel,
        _ => Method::Request,
    }
}

/// The resource's names, and where it is, as an entry shows them.
pub fn place(view: &ResourceView) -> (String, String) {
    let r = &view.row;
    let summary = format!("{} / {}", r.name_en, r.name_zh);
    let location = format!(
        "{}, {} {}",
        view.institution_en, view.jurisdiction.name_en, r.location
    )
    .trim_end()
    .to_owned();
    (summary, location)
}

/// The booking as a downloadable calendar.
pub fn booking_ics(b: &BookingRow, view: &ResourceView) -> String {
    bookings_ics(std::slice::from_ref(b), view, Method::Publish)
}

/// Bookings of one resource as one calendar, an event each.
pub fn bookings_ics(bs: &[BookingRow], view: &ResourceView, method: Method) -> String {
    let (summary, location) = place(view);
    let descriptions: Vec<String> = bs
        .iter()
        .map(|b| {
            format!(
                "Booking {} ({}), quantity {}: {}",
                b.id, b.state, b.quantity, b.purpose
            )
        })
        .collect();
    let events: Vec<Event<'_>> = bs
        .iter()
        .zip(&descriptions)
        .map(|(b, description)| Event {
            uid: uid(b.id),
            stamp: b.updated_at.and_utc(),
            start: b.start_at.and_utc(),
            end: b.end_at.and_utc(),
            summary: &summary,
            location: &location,
            description,
            status: status(b.state),
            sequence: b.version,
        })
        .collect();
    ics::calendar_of(&events, method, None)
}
