//! Calendar entries that follow a booking: every mail about it carries its entry under one UID,
//! as REQUEST while it is to happen and CANCEL once it will not, with a higher SEQUENCE each time,
//! read back by Python's email package and the icalendar library.

use actix_web::http::{Method, StatusCode};
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

const READ_FEED: &str = r#"
import sys, icalendar
c = icalendar.Calendar.from_ical(sys.stdin.read())
print("name:", c["X-WR-CALNAME"])
for e in c.walk("VEVENT"):
    print("event:", e["UID"], e["STATUS"], int(e["SEQUENCE"]), e["SUMMARY"], "|", e.get("DESCRIPTION", ""))
"#;

/// Subscribes the caller to a feed; returns its URL's path.
async fn subscribe(app: &TestApp, t: &str, body: serde_json::Value) -> String {
    let made = app.post("/api/v1/calendar-feeds", t, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let url = made.body["url"].as_str().unwrap();
    assert!(url.starts_with(&app.base), "{url}");
    assert!(
        made.header("location")
            .unwrap()
            .ends_with(&made.body["id"].to_string())
    );
    url[app.base.len()..].to_owned()
}

/// The feed as a calendar application reads it, without credentials: one line per event.
async fn fetch(app: &TestApp, path: &str) -> String {
    let got = app.request(Method::GET, path, None, None).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    assert!(
        got.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    python_reads(got.body.as_str().unwrap(), READ_FEED)
}

/// The feed's line for booking `id`.
fn event_of(read: &str, id: i64) -> String {
    let uid = format!("event: booking-{id}@instrument-booking ");
    read.lines()
        .find(|l| l.starts_with(&uid))
        .unwrap_or_else(|| panic!("booking {id} not in {read}"))
        .to_owned()
}

async fn a_bookers_feed_follows_her_bookings(app: TestApp) {
    let t = app.login(BOOKER).await;
    let kept = book_gpu(&app, &t, 3).await;
    let dropped = book_gpu(&app, &t, 6).await;
    let feed = subscribe(&app, &t, json!({"kind": "user"})).await;
    let read = fetch(&app, &feed).await;
    assert!(read.contains("name: My bookings"), "{read}");
    assert!(event_of(&read, kept).contains(" CONFIRMED "), "{read}");
    assert!(
        event_of(&read, kept).contains("protein folding runs"),
        "{read}"
    );
    let before = event_of(&read, dropped);

    let cancel = app
        .post(
            &format!("/api/v1/bookings/{dropped}/cancel"),
            &t,
            json!({"reason": "moved"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{:?}", cancel.body);
    let after = event_of(&fetch(&app, &feed).await, dropped);
    assert!(after.contains(" CANCELLED "), "{after}");
    let seq = |l: &str| l.split(' ').nth(3).unwrap().parse::<i64>().unwrap();
    assert!(seq(&after) > seq(&before), "{before}\n{after}");

    // Listed without its secret, and gone for good once revoked.
    let listed = app.get("/api/v1/calendar-feeds", &t).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert!(listed.body["items"][0].get("url").is_none());
    let id = listed.body["items"][0]["id"].as_i64().unwrap();
    let other = app.login(MANAGER).await;
    let theirs = app
        .request(
            Method::DELETE,
            &format!("/api/v1/calendar-feeds/{id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(
        theirs.status,
        StatusCode::NOT_FOUND,
        "only its owner revokes it"
    );
    let revoked = app
        .request(
            Method::DELETE,
            &format!("/api/v1/calendar-feeds/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let gone = app.request(Method::GET, &feed, None, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let forged = app
        .request(Method::GET, "/feeds/cal_AAAA.ics", None, None)
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
}

async fn a_resource_feed_shows_other_organisations_as_busy_only(app: TestApp) {
    let t = app.login(BOOKER).await;
    let id = book_gpu(&app, &t, 4).await;
    let resource = app.get(&format!("/api/v1/bookings/{id}"), &t).await.body["resource_id"]
        .as_i64()
        .unwrap();
    let m = app.login(MANAGER).await;
    let feed = subscribe(
        &app,
        &m,
        json!({"kind": "resource", "resource_id": resource}),
    )
    .await;
    let read = fetch(&app, &feed).await;
    let line = event_of(&read, id);
    assert!(line.contains("Booked / 已预约"), "{line}");
    assert!(
        !line.contains("protein") && !line.contains("Acme"),
        "never whose or why: {read}"
    );

    let mine = subscribe(
        &app,
        &t,
        json!({"kind": "resource", "resource_id": resource}),
    )
    .await;
    assert!(event_of(&fetch(&app, &mine).await, id).contains("protein folding runs"));

    // The institution's own calendar shows its resources' bookings in full, to its staff only.
    let institution = subscribe(&app, &m, json!({"kind": "institution"})).await;
    let read = fetch(&app, &institution).await;
    assert!(read.contains("name: Fudan University"), "{read}");
    assert!(
        event_of(&read, id).contains("protein folding runs"),
        "{read}"
    );
    let refused = app
        .post("/api/v1/calendar-feeds", &t, json!({"kind": "institution"}))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
}

async fn a_feed_request_says_what_to_fix(app: TestApp) {
    let t = app.login(BOOKER).await;
    for (body, field) in [
        (json!({"kind": "everything"}), "kind"),
        (json!({"kind": "resource"}), "resource_id"),
        (json!({"kind": "user", "resource_id": 1}), "resource_id"),
    ] {
        let r = app.post("/api/v1/calendar-feeds", &t, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{:?}", r.body);
    }
    let missing = app
        .post(
            "/api/v1/calendar-feeds",
            &t,
            json!({"kind": "resource", "resource_id": 999999}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        app.list_all("/api/v1/calendar-feeds", &t).await.is_empty(),
        "nothing half-made"
    );
}

on_both_backends!(
    a_cancellation_removes_the_confirmed_entry,
    a_rejection_removes_the_tentative_entry,
    a_bookers_feed_follows_her_bookings,
    a_resource_feed_shows_other_organisations_as_busy_only,
    a_feed_request_says_what_to_fix
);
