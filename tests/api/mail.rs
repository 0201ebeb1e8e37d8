//! Mail through a real SMTP server on loopback: what a booker receives (language, times with their
//! zone, plain text and HTML, the `.ics` read by an independent parser), delivery across an outage,
//! parking and an admin's retry, and two dispatchers that never send a message twice.

use actix_web::http::{Method, StatusCode};
use chrono::{Duration, DurationRound, Utc};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;
use crate::smtp::{SmtpSink, python_reads};
use instrument_booking::jobs::outbox::{self, Delivered, Retry, Sender};
use instrument_booking::mail::Mailer;

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) fn sender(sink: &SmtpSink, retry: Retry) -> Sender {
    Sender {
        mailer: Mailer::from_url(Some(&sink.url()), std::path::Path::new("."), TIMEOUT).unwrap(),
        from: "instrument-booking <noreply@booking.test>".parse().unwrap(),
        retry,
        timeout: TIMEOUT,
    }
}

/// Books the Fudan GPU nodes (auto-approved, open around the clock) an hour from the next half
/// hour, as the demo booker; returns the booking's id.
pub(crate) async fn book_gpu(app: &TestApp, t: &str, hours_ahead: i64) -> i64 {
    let m = app.login(MANAGER).await;
    let body = json!({"kind": "computing", "name_en": format!("Fudan GPU nodes {hours_ahead}"), "name_zh": "复旦GPU节点",
        "category": "computing", "original_value_cny": 3000000, "jurisdiction_code": "310100", "capacity": 8,
        "unit": "GPU", "approval_policy": "auto", "rates": {"internal": 1, "academic": 2, "enterprise": 150000},
        "booking_rules": {"granularity_min": 30, "lead_time_min": 0}});
    let gpu = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let start =
        Utc::now().duration_trunc(Duration::minutes(30)).unwrap() + Duration::hours(hours_ahead);
    let made = app
        .post(
            "/api/v1/bookings",
            t,
            json!({"resource_id": gpu, "start": start.to_rfc3339(),
            "end": (start + Duration::hours(2)).to_rfc3339(), "purpose": "protein folding runs"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

const READ_CONFIRMATION: &str = r#"
import email, sys, icalendar
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
print("to:", m["To"])
print("subject:", m["Subject"])
print("message-id:", m["Message-ID"])
print("auto-submitted:", m["Auto-Submitted"])
print("content-language:", m["Content-Language"])
print("types:", " ".join(sorted(p.get_content_type() for p in m.walk() if not p.is_multipart())))
print("text:", m.get_body(("plain",)).get_content().replace("\n", " | "))
cal = [p for p in m.walk() if p.get_content_type() == "text/calendar"][0]
event = icalendar.Calendar.from_ical(cal.get_content()).walk("VEVENT")[0]
print("ics:", event["STATUS"], event.decoded("DTSTART").isoformat(), event.decoded("DTEND").isoformat())
"#;

async fn a_confirmation_arrives_in_the_bookers_language(app: TestApp) {
    let sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    let id = book_gpu(&app, &t, 1).await;
    let now = Utc::now();
    let done = outbox::run(&app.db, &sender(&sink, Retry::default()), now)
        .await
        .unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    let got = sink.wait_for(1);
    let read = python_reads(&got[0], READ_CONFIRMATION);
    assert!(read.contains("to: booker@acme.demo.test"), "{read}");
    assert!(read.contains("subject: 预约已确认: 复旦GPU节点"), "{read}");
    assert!(read.contains("您的预约已确认"), "{read}");
    assert!(read.contains("message-id: <"), "{read}");
    assert!(
        read.contains("@booking.test>"),
        "on the sender's domain: {read}"
    );
    assert!(read.contains("auto-submitted: auto-generated"), "{read}");
    assert!(read.contains("content-language: zh-CN"), "{read}");
    assert!(
        read.contains("types: text/calendar text/html text/plain"),
        "{read}"
    );
    assert!(read.contains("(Asia/Shanghai, UTC+08:00)"), "{read}");
    let booking = app.get(&format!("/api/v1/bookings/{id}"), &t).await.body;
    let start = chrono::DateTime::parse_from_rfc3339(booking["start"].as_str().unwrap()).unwrap();
    assert!(
        read.contains(&format!(
            "ics: CONFIRMED {}",
            start.to_utc().format("%Y-%m-%dT%H:%M:%S+00:00")
        )),
        "{read}"
    );

    // In English once she prefers it; the same delivery run does not send the first one again.
    let changed = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"locale": "en"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    book_gpu(&app, &t, 5).await;
    let done = outbox::run(&app.db, &sender(&sink, Retry::default()), Utc::now())
        .await
        .unwrap();
    assert_eq!(done.sent, 1);
    let got = sink.wait_for(2);
    assert_eq!(got.len(), 2);
    let read = python_reads(&got[1], READ_CONFIRMATION);
    assert!(
        read.contains("subject: Booking confirmed: Fudan GPU nodes 5"),
        "{read}"
    );
    assert!(read.contains("Your booking is confirmed"), "{read}");
}

async fn an_outage_delays_but_loses_nothing(app: TestApp) {
    let mut sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    for hours in [1, 3, 5] {
        book_gpu(&app, &t, hours).await;
    }
    sink.stop();
    let retry = Retry {
        max_attempts: 5,
        first_backoff_seconds: 10,
        ..Retry::default()
    };
    let s = sender(&sink, retry);
    let now = Utc::now();
    let down = outbox::run(&app.db, &s, now).await.unwrap();
    assert_eq!(
        down,
        Delivered {
            sent: 0,
            retrying: 3,
            failed: 0
        }
    );
    let admin = app.login(ADMIN).await;
    let pending = app
        .list_all("/api/v1/admin/messages?status=pending", &admin)
        .await;
    assert_eq!(pending.len(), 3);
    assert!(
        pending
            .iter()
            .all(|m| m["attempts"] == 1 && m["last_error"].is_string())
    );
    assert_eq!(
        outbox::run(&app.db, &s, now + Duration::seconds(5))
            .await
            .unwrap(),
        Delivered::default(),
        "backing off"
    );
    sink.resume();
    let back = outbox::run(&app.db, &s, now + Duration::seconds(11))
        .await
        .unwrap();
    assert_eq!(back.sent, 3);
    let got = sink.wait_for(3);
    assert_eq!(got.len(), 3, "each message once");
    assert_eq!(
        app.list_all("/api/v1/admin/messages?status=sent", &admin)
            .await
            .len(),
        3
    );
}

async fn a_parked_message_is_retried_by_an_admin(app: TestApp) {
    let mut sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 1).await;
    sink.stop();
    let once = Retry {
        max_attempts: 1,
        first_backoff_seconds: 10,
        ..Retry::default()
    };
    let done = outbox::run(&app.db, &sender(&sink, once), Utc::now())
        .await
        .unwrap();
    assert_eq!(done.failed, 1);
    let admin = app.login(ADMIN).await;
    let failed = app
        .list_all("/api/v1/admin/messages?status=failed", &admin)
        .await;
    let id = failed[0]["id"].as_i64().unwrap();
    assert_eq!(
        app.post(&format!("/api/v1/admin/messages/{id}/retry"), &t, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let again = app
        .post(
            &format!("/api/v1/admin/messages/{id}/retry"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(again.body["status"], "pending", "{:?}", again.body);
    assert_eq!(
        app.post(
            &format!("/api/v1/admin/messages/{id}/retry"),
            &admin,
            json!({})
        )
        .await
        .code(),
        "invalid_state"
    );
    sink.resume();
    assert_eq!(
        outbox::run(&app.db, &sender(&sink, once), Utc::now())
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(sink.wait_for(1).len(), 1);
    let shown = app
        .get(&format!("/api/v1/admin/messages/{id}"), &admin)
        .await;
    assert_eq!(shown.body["status"], "sent");
    assert!(
        shown.body["text_body"]
            .as_str()
            .unwrap()
            .contains("protein folding runs")
    );
}

/// Two dispatchers on two connections pools at once: every message is delivered exactly once.
async fn two_dispatchers_send_each_message_once(app: TestApp) {
    let sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    for hours in 1..=12 {
        book_gpu(&app, &t, hours).await;
    }
    let other = instrument_booking::db::Db::open(&app.url, 4).unwrap();
    let s = sender(&sink, Retry::default());
    let now = Utc::now();
    let both =
        futures_util::future::join(outbox::run(&app.db, &s, now), outbox::run(&other, &s, now));
    let (a, b) = both.await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 12, "{a:?} {b:?}");
    let got = sink.wait_for(12);
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (12, 12), "each once");
}

/// A dispatcher that claimed messages and died: they wait out its lease, then go once.
async fn a_dead_dispatchers_claim_expires(app: TestApp) {
    let sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 1).await;
    let now = Utc::now();
    let lease = now + Duration::seconds(outbox::LEASE_SECONDS);
    let claim = instrument_booking::db::outbox::Claim {
        token: "a dead dispatcher".into(),
        until: lease.naive_utc(),
    };
    let claimed = app
        .db
        .write_blocking(|c| {
            instrument_booking::db::outbox::claim(c, now.naive_utc(), &claim, 10)
                .map_err(instrument_booking::error::ServiceError::from)
        })
        .unwrap();
    assert_eq!(claimed.len(), 1, "claimed, then the process died");
    let s = sender(&sink, Retry::default());
    assert_eq!(
        outbox::run(&app.db, &s, now + Duration::seconds(60))
            .await
            .unwrap(),
        Delivered::default()
    );
    let after = outbox::run(&app.db, &s, lease + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(after.sent, 1);
    let got = sink.wait_for(1);
    assert!(got[0].contains(&app.message_id(claimed[0].id, MAIL_DOMAIN)));
}

/// Two installations (or one before and after a reset of its database) never share a
/// Message-ID, though their first messages have the same row id.
async fn message_ids_are_unique_across_installations(app: TestApp) {
    let other = TestApp::spawn(Backend::Sqlite).await;
    let mut ids = Vec::new();
    for app in [&app, &other] {
        let t = app.login(BOOKER).await;
        book_gpu(app, &t, 1).await;
        let row = app.db.read_blocking(|c| {
            instrument_booking::db::outbox::list(c, None, None, 1)
                .map_err(instrument_booking::error::ServiceError::from)
        });
        ids.push(app.message_id(row.unwrap()[0].head.id, MAIL_DOMAIN));
    }
    assert_ne!(ids[0], ids[1]);
}

/// After an outage that parked many messages, one request queues them all again.
async fn parked_messages_are_retried_all_at_once(app: TestApp) {
    let mut sink = SmtpSink::start();
    let t = app.login(BOOKER).await;
    for hours in [1, 3, 5] {
        book_gpu(&app, &t, hours).await;
    }
    sink.stop();
    let once = Retry {
        max_attempts: 1,
        ..Retry::default()
    };
    let parked = outbox::run(&app.db, &sender(&sink, once), Utc::now()).await;
    assert_eq!(parked.unwrap().failed, 3);
    let admin = app.login(ADMIN).await;
    let state = app.get("/api/v1/admin/outbox", &admin).await.body;
    assert_eq!(
        (state["waiting"].as_i64(), state["failed"].as_i64()),
        (Some(0), Some(3)),
        "{state}"
    );
    let forbidden = app.post("/api/v1/admin/outbox/retry", &t, json!({})).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let retried = app
        .post("/api/v1/admin/outbox/retry", &admin, json!({}))
        .await;
    assert_eq!(retried.body["retried"], 3, "{:?}", retried.body);
    let state = app.get("/api/v1/admin/outbox", &admin).await.body;
    assert_eq!(
        (state["waiting"].as_i64(), state["failed"].as_i64()),
        (Some(3), Some(0)),
        "{state}"
    );
    sink.resume();
    let sent = outbox::run(&app.db, &sender(&sink, once), Utc::now()).await;
    assert_eq!(sent.unwrap().sent, 3);
    assert_eq!(sink.wait_for(3).len(), 3, "each once");
}

on_both_backends!(
    parked_messages_are_retried_all_at_once,
    message_ids_are_unique_across_installations,
    a_dead_dispatchers_claim_expires,
    a_confirmation_arrives_in_the_bookers_language,
    an_outage_delays_but_loses_nothing,
    a_parked_message_is_retried_by_an_admin,
    two_dispatchers_send_each_message_once
);
