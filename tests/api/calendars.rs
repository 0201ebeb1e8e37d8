//! Calendar entries that follow a booking: every mail about it carries its entry under one UID,
//! as REQUEST while it is to happen and CANCEL once it will not, with a higher SEQUENCE each time,
//! read back by Python's email package and the icalendar library.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::harness::*;
use crate::mail::{book_gpu, sender};
use crate::on_both_backends;
use crate::smtp::{SmtpSink, python_reads};
use instrument_booking::jobs::outbox::{self, Retry};

const READ_ENTRY: &str = r#"
import email, sys, icalendar
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
print("to:", m["To"])
cals = [p for p in m.walk() if p.get_content_type() == "text/calendar"]
if not cals:
    sys.exit(0)
cal = cals[0]
print("part-method:", cal.get_param("method"))
c = icalendar.Calendar.from_ical(cal.get_content())
e = c.walk("VEVENT")[0]
print("method:", c["METHOD"])
print("uid:", e["UID"])
print("sequence:", int(e["SEQUENCE"]))
print("status:", e["STATUS"])
print("organizer:", e["ORGANIZER"])
print("attendee:", e["ATTENDEE"])
"#;

/// The value after `key: ` in what [`READ_ENTRY`] printed.
fn field<'a>(read: &'a str, key: &str) -> &'a str {
    read.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {read}"))
}

/// Delivers what is due and returns every message received so far, read.
async fn delivered(app: &TestApp, sink: &SmtpSink, total: usize) -> Vec<String> {
    outbox::run(&app.db, &sender(sink, Retry::default()), chrono::Utc::now())
        .await
        .unwrap();
    sink.wait_for(total)
        .iter()
        .map(|m| python_reads(m, READ_ENTRY))
        .collect()
}

async fn a_cancellation_removes_the_confirmed_entry(app: TestApp) {
    let sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    let id = book_gpu(&app, &t, 2).await;
    let confirmed = delivered(&app, &sink, 1).await.remove(0);
    assert_eq!(field(&confirmed, "method"), "REQUEST", "{confirmed}");
    assert_eq!(field(&confirmed, "part-method"), "REQUEST");
    assert_eq!(field(&confirmed, "status"), "CONFIRMED");
    assert_eq!(
        field(&confirmed, "uid"),
        format!("booking-{id}@instrument-booking")
    );
    assert_eq!(
        field(&confirmed, "organizer"),
        "mailto:noreply@booking.test"
    );
    assert_eq!(
        field(&confirmed, "attendee"),
        "mailto:booker@acme.demo.test"
    );

    let cancel = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &t,
            json!({"reason": "sample not ready"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{:?}", cancel.body);
    let cancelled = delivered(&app, &sink, 2).await.remove(1);
    assert_eq!(field(&cancelled, "method"), "CANCEL", "{cancelled}");
    assert_eq!(field(&cancelled, "part-method"), "CANCEL");
    assert_eq!(field(&cancelled, "status"), "CANCELLED");
    assert_eq!(field(&cancelled, "uid"), field(&confirmed, "uid"));
    let seq = |r: &str| field(r, "sequence").parse::<i64>().unwrap();
    assert!(
        seq(&cancelled) > seq(&confirmed),
        "{confirmed}\n{cancelled}"
    );
}

async fn a_rejection_removes_the_tentative_entry(app: TestApp) {
    let sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    let nmr =
        crate::bookings::resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University")
            .await;
    let day = crate::bookings::workday(5);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            crate::bookings::booking(
                nmr,
                &crate::bookings::sh(day, "09:00"),
                &crate::bookings::sh(day, "10:00"),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["state"], "pending", "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let to_booker = |all: Vec<String>| -> Vec<String> {
        all.into_iter()
            .filter(|r| field(r, "to").contains(BOOKER))
            .collect()
    };
    let received = to_booker(delivered(&app, &sink, 2).await).remove(0);
    assert_eq!(field(&received, "method"), "REQUEST", "{received}");
    assert_eq!(field(&received, "status"), "TENTATIVE");

    let op = app.login(OPERATOR).await;
    let rejected = app
        .post(
            &format!("/api/v1/bookings/{id}/reject"),
            &op,
            json!({"reason": "magnet maintenance"}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    let rejection = to_booker(delivered(&app, &sink, 3).await).remove(1);
    assert_eq!(field(&rejection, "method"), "CANCEL", "{rejection}");
    assert_eq!(field(&rejection, "uid"), field(&received, "uid"));
    let seq = |r: &str| field(r, "sequence").parse::<i64>().unwrap();
    assert!(seq(&rejection) > seq(&received));
}

on_both_backends!(
    a_cancellation_removes_the_confirmed_entry,
    a_rejection_removes_the_tentative_entry
);
