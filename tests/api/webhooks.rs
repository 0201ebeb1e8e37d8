//! Webhooks against a real HTTP receiver on loopback that verifies every delivery with Python's
//! `standardwebhooks` (and again by a hand-written HMAC): a booking's life in order, signed,
//! once; nothing lost while the receiver is down; two dispatchers delivering once; nothing of
//! another organisation; a failing endpoint parked, paused and its owner told.

use actix_web::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::harness::*;
use crate::mail::book_gpu;
use crate::on_both_backends;
use crate::receiver::{WebhookSink, signed_by};
use instrument_booking::jobs::outbox::{Delivered, Retry};
use instrument_booking::jobs::webhooks::{self, Deliverer};
use instrument_booking::webhooks::post::Poster;

fn deliverer(retry: Retry) -> Deliverer {
    Deliverer {
        poster: Poster::new(true, std::time::Duration::from_secs(5)),
        sealer: webhook_policy().sealer,
        retry,
    }
}

/// Runs the dispatcher at `now` until it finds nothing due; what it did in all.
async fn deliver_all(app: &TestApp, d: &Deliverer, now: chrono::DateTime<Utc>) -> Delivered {
    let mut all = Delivered::default();
    for _ in 0..50 {
        let done = webhooks::run(&app.db, d, now).await.unwrap();
        if done == Delivered::default() {
            break;
        }
        all.sent += done.sent;
        all.retrying += done.retrying;
        all.failed += done.failed;
    }
    all
}

/// Subscribes `sink` for the caller's organisation (or `org`, for an admin); returns the
/// subscription's id and secret, which the receiver now trusts.
async fn subscribe(app: &TestApp, t: &str, sink: &WebhookSink, org: Option<i64>) -> (i64, String) {
    let mut body = json!({"url": sink.url(), "events": ["*"], "description": "LIMS"});
    if let Some(org) = org {
        body["organization_id"] = json!(org);
    }
    let made = app.post("/api/v1/webhooks", t, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let secret = made.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    sink.trust(&secret);
    (made.body["id"].as_i64().unwrap(), secret)
}

fn types(got: &[crate::receiver::Received]) -> Vec<&str> {
    got.iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect()
}

async fn a_bookings_life_arrives_in_order_signed_once(app: TestApp) {
    let sink = WebhookSink::start();
    let m = app.login(MANAGER).await;
    let (hook, secret) = subscribe(&app, &m, &sink, None).await;
    let t = app.login(BOOKER).await;
    let id = book_gpu(&app, &t, 2).await;
    let cancel = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &t,
            json!({"reason": "sample not ready"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{:?}", cancel.body);

    let d = deliverer(Retry::default());
    let done = deliver_all(&app, &d, Utc::now()).await;
    assert_eq!(
        (done.sent, done.retrying, done.failed),
        (3, 0, 0),
        "{done:?}"
    );
    let got = sink.wait_for(3);
    assert_eq!(
        types(&got),
        [
            "booking.requested",
            "booking.confirmed",
            "booking.cancelled"
        ]
    );
    assert_eq!(sink.rejected(), 0, "standardwebhooks verified each");
    assert!(
        got.iter().all(|r| signed_by(r, &secret)),
        "and so does a hand-written HMAC"
    );
    let cancelled = &got[2].body["data"];
    assert_eq!(cancelled["booking_id"], id);
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(cancelled["reason"], "sample not ready");
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each event its own webhook-id");

    assert_eq!(
        deliver_all(&app, &d, Utc::now() + Duration::hours(2)).await,
        Delivered::default()
    );
    assert_eq!(sink.received().len(), 3, "once");
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &m)
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["event_type"], "booking.cancelled", "newest first");
    for item in items {
        assert_eq!(item["status"], "delivered", "{item}");
        assert_eq!(item["history"][0]["status_code"], 204, "{item}");
    }
}

async fn the_receiver_down_then_up_loses_nothing(app: TestApp) {
    let mut sink = WebhookSink::start();
    let m = app.login(MANAGER).await;
    let (hook, _) = subscribe(&app, &m, &sink, None).await;
    sink.stop();
    let t = app.login(BOOKER).await;
    let first = book_gpu(&app, &t, 2).await;
    let second = book_gpu(&app, &t, 5).await;
    let d = deliverer(Retry {
        max_attempts: 5,
        first_backoff_seconds: 30,
        ..Retry::default()
    });
    let now = Utc::now();
    let down = deliver_all(&app, &d, now).await;
    assert_eq!((down.sent, down.failed), (0, 0), "{down:?}");
    assert_eq!(
        down.retrying, 2,
        "one per booking: the second event of each waits for the first"
    );
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &m)
        .await
        .body;
    let waiting: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["attempts"] == 1)
        .collect();
    assert_eq!(waiting.len(), 2, "{log}");
    assert!(
        waiting
            .iter()
            .all(|i| i["status"] == "pending" && i["last_error"].is_string()),
        "{log}"
    );

    sink.resume();
    let up = deliver_all(&app, &d, now + Duration::seconds(31)).await;
    assert_eq!((up.sent, up.retrying, up.failed), (4, 0, 0), "{up:?}");
    let got = sink.wait_for(4);
    assert_eq!(sink.rejected(), 0);
    for booking in [first, second] {
        let of_it: Vec<&str> = got
            .iter()
            .filter(|r| r.body["data"]["booking_id"] == booking)
            .map(|r| r.body["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            of_it,
            ["booking.requested", "booking.confirmed"],
            "in order"
        );
    }
}

async fn two_dispatchers_deliver_once(app: TestApp) {
    let sink = WebhookSink::start();
    let m = app.login(MANAGER).await;
    subscribe(&app, &m, &sink, None).await;
    let t = app.login(BOOKER).await;
    for hours in 1..=6 {
        book_gpu(&app, &t, hours).await;
    }
    let other = instrument_booking::db::Db::open(&app.url, 4).unwrap();
    let d = deliverer(Retry::default());
    let now = Utc::now();
    for _ in 0..10 {
        let (a, b) = futures_util::future::join(
            webhooks::run(&app.db, &d, now),
            webhooks::run(&other, &d, now),
        )
        .await;
        if a.unwrap() == Delivered::default() && b.unwrap() == Delivered::default() {
            break;
        }
    }
    let got = sink.wait_for(12);
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (12, 12), "each event once");
}

/// The id of the organisation named `name_en`.
async fn org_id(app: &TestApp, admin: &str, name_en: &str) -> i64 {
    let all = app.list_all("/api/v1/organizations", admin).await;
    all.iter()
        .find(|o| o["name_en"] == name_en)
        .unwrap_or_else(|| panic!("no {name_en}"))["id"]
        .as_i64()
        .unwrap()
}

async fn a_subscription_sees_nothing_of_another_organisation(app: TestApp) {
    let admin = app.login(ADMIN).await;
    let (fudan, acme, nanjing) = (
        WebhookSink::start(),
        WebhookSink::start(),
        WebhookSink::start(),
    );
    let m = app.login(MANAGER).await;
    subscribe(&app, &m, &fudan, None).await;
    let acme_id = org_id(&app, &admin, "Acme Biotech (Suzhou) Co., Ltd. (demo)").await;
    subscribe(&app, &admin, &acme, Some(acme_id)).await;
    let nanjing_id = org_id(&app, &admin, "Nanjing University").await;
    subscribe(&app, &admin, &nanjing, Some(nanjing_id)).await;
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 3).await;
    deliver_all(&app, &deliverer(Retry::default()), Utc::now()).await;
    assert_eq!(
        types(&fudan.wait_for(2)),
        ["booking.requested", "booking.confirmed"],
        "the institution's resource"
    );
    assert_eq!(
        types(&acme.wait_for(2)),
        ["booking.requested", "booking.confirmed"],
        "the enterprise's booking"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        nanjing.received().is_empty(),
        "another institution hears nothing"
    );

    // Nor can its staff read or change another organisation's subscriptions.
    let listed = app.get("/api/v1/webhooks", &m).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "{:?}",
        listed.body
    );
    let theirs = app
        .list_all(
            &format!("/api/v1/webhooks?organization_id={nanjing_id}"),
            &admin,
        )
        .await;
    let id = theirs[0]["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{id}"), &m).await.status,
        StatusCode::NOT_FOUND
    );
    let deliveries = app
        .get(&format!("/api/v1/webhooks/{id}/deliveries"), &m)
        .await;
    assert_eq!(deliveries.status, StatusCode::NOT_FOUND);
}

async fn a_failing_endpoint_is_parked_paused_and_its_owner_told(app: TestApp) {
    let mut sink = WebhookSink::start();
    sink.stop();
    sink.failing = Some(500);
    sink.resume();
    let m = app.login(MANAGER).await;
    let (hook, _) = subscribe(&app, &m, &sink, None).await;
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 2).await;
    let d = deliverer(Retry {
        max_attempts: 2,
        first_backoff_seconds: 10,
        ..Retry::default()
    });
    let now = Utc::now();
    deliver_all(&app, &d, now).await;
    let parked = deliver_all(&app, &d, now + Duration::seconds(11)).await;
    assert_eq!(parked.failed, 1, "{parked:?}");
    let paused = app.get(&format!("/api/v1/webhooks/{hook}"), &m).await.body;
    assert_eq!(paused["status"], "paused", "{paused}");
    assert!(
        paused["paused_reason"].as_str().unwrap().contains("500"),
        "{paused}"
    );
    assert_eq!(
        deliver_all(&app, &d, now + Duration::hours(3)).await,
        Delivered::default(),
        "paused: nothing goes"
    );
    let admin = app.login(ADMIN).await;
    let mail = app.list_all("/api/v1/admin/messages", &admin).await;
    let told: Vec<&Value> = mail
        .iter()
        .filter(|m| m["kind"] == "webhook_paused")
        .collect();
    assert_eq!(told.len(), 1, "{mail:?}");
    assert_eq!(told[0]["to"], MANAGER);

    // Fixed, resumed and redelivered: the parked event goes out, then the one behind it.
    sink.stop();
    sink.failing = None;
    sink.resume();
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &m)
        .await
        .body;
    let failed = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "failed")
        .unwrap()
        .clone();
    assert_eq!(failed["history"].as_array().unwrap().len(), 2, "{failed}");
    assert_eq!(failed["history"][1]["status_code"], 500);
    let again = app
        .post(
            &format!(
                "/api/v1/webhooks/{hook}/deliveries/{}/redeliver",
                failed["id"]
            ),
            &m,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{:?}", again.body);
    let resumed = app
        .request(
            Method::PATCH,
            &format!("/api/v1/webhooks/{hook}"),
            Some(&m),
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    assert!(resumed.body["paused_reason"].is_null());
    deliver_all(&app, &d, Utc::now()).await;
    assert_eq!(sink.rejected(), 0);
    assert_eq!(
        types(&sink.wait_for(2)),
        ["booking.requested", "booking.confirmed"]
    );
}

async fn subscriptions_say_what_to_fix_and_keep_their_secret(app: TestApp) {
    let m = app.login(MANAGER).await;
    for (body, field) in [
        (
            json!({"url": "ftp://lims.example.cn/", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "not a url", "events": ["*"]}), "url"),
        (
            json!({"url": "https://lims.example.cn/", "events": ["booking.exploded"]}),
            "events",
        ),
        (
            json!({"url": "https://lims.example.cn/", "events": []}),
            "events",
        ),
    ] {
        let r = app.post("/api/v1/webhooks", &m, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{:?}", r.body);
    }
    let t = app.login(BOOKER).await;
    let refused = app
        .post(
            "/api/v1/webhooks",
            &t,
            json!({"url": "https://a.example.cn/", "events": ["*"]}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        app.list_all("/api/v1/webhooks", &m).await.is_empty(),
        "nothing half-made"
    );

    let sink = WebhookSink::start();
    let (hook, secret) = subscribe(&app, &m, &sink, None).await;
    let shown = app.get(&format!("/api/v1/webhooks/{hook}"), &m).await;
    assert!(
        shown.body.get("secret").is_none(),
        "shown once: {:?}",
        shown.body
    );
    let stored = stored_secret(&app, hook).await;
    assert!(!stored.contains(&secret) && !stored.contains(secret.trim_start_matches("whsec_")));
    let rotated = app
        .post(
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            &m,
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    sink.trust(&new_secret);
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 2).await;
    deliver_all(&app, &deliverer(Retry::default()), Utc::now()).await;
    let got = sink.wait_for(2);
    assert!(
        got.iter().all(|r| signed_by(r, &new_secret)),
        "signed with the new secret"
    );

    let gone = app
        .request(
            Method::DELETE,
            &format!("/api/v1/webhooks/{hook}"),
            Some(&m),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{hook}"), &m)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The subscription's secret as the database holds it.
async fn stored_secret(app: &TestApp, hook: i64) -> String {
    let db = app.db.clone();
    actix_web::rt::task::spawn_blocking(move || {
        db.read_blocking(move |conn| {
            Ok::<_, instrument_booking::error::ServiceError>(
                instrument_booking::db::webhooks::find(conn, hook)?
                    .unwrap()
                    .secret_sealed,
            )
        })
    })
    .await
    .unwrap()
    .unwrap()
}

async fn private_addresses_are_refused_unless_allowed(app: TestApp) {
    let sink = WebhookSink::start();
    let m = app.login(MANAGER).await;
    let (hook, _) = subscribe(&app, &m, &sink, None).await;
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 2).await;
    let guarded = Deliverer {
        poster: Poster::new(false, std::time::Duration::from_secs(5)),
        ..deliverer(Retry::default())
    };
    let done = webhooks::run(&app.db, &guarded, Utc::now()).await.unwrap();
    assert_eq!(done.retrying, 1, "{done:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        sink.received().is_empty(),
        "the loopback receiver was never called"
    );
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &m)
        .await
        .body;
    let error = log["items"][1]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("no public address"), "{log}");
}

/// The event types that reached `sink`, with the one field of `data` that names what they concern.
fn seen(sink: &WebhookSink, n: usize) -> Vec<String> {
    sink.wait_for(n)
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The data of the last event of type `kind` that reached `sink`.
fn data_of(sink: &WebhookSink, kind: &str) -> Value {
    let got = sink.received();
    let last = got.iter().rev().find(|r| r.body["type"] == kind);
    last.unwrap_or_else(|| panic!("no {kind}")).body["data"].clone()
}

/// Events about the booking, and about the statement: each group keeps its order, the two
/// interleave as they were delivered.
fn split(types: &[String]) -> (Vec<&str>, Vec<&str>) {
    let (s, b): (Vec<&str>, Vec<&str>) = types
        .iter()
        .map(String::as_str)
        .partition(|t| t.starts_with("statement."));
    (b, s)
}

async fn money_reaches_the_holder_the_issuer_and_the_institution(app: TestApp) {
    use chrono::DurationRound;
    let admin = app.login(ADMIN).await;
    let (mut fudan, mut agency, mut acme) = (
        WebhookSink::start(),
        WebhookSink::start(),
        WebhookSink::start(),
    );
    let (m, js) = (app.login(MANAGER).await, app.login(JS_ISSUER).await);
    subscribe(&app, &m, &fudan, None).await;
    subscribe(&app, &js, &agency, None).await;
    let acme_id = org_id(&app, &admin, "Acme Biotech (Suzhou) Co., Ltd. (demo)").await;
    subscribe(&app, &admin, &acme, Some(acme_id)).await;
    let mut sh = WebhookSink::start();
    subscribe(&app, &app.login(ISSUER).await, &sh, None).await;

    // A booking paid in part by Acme's Jiangsu voucher, used and captured; then settled.
    let (booking, day) = crate::statements::captured(&app, "Webhook XRD").await;
    let issuer = crate::statements::jiangsu(&app, day).await;
    let issued = app
        .post(
            "/api/v1/settlement-statements",
            &m,
            crate::statements::period(issuer, day),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let at = format!("/api/v1/settlement-statements/{}", issued.body["id"]);
    assert_eq!(
        app.post(&format!("{at}/agree"), &js, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let paid = app
        .post(&format!("{at}/pay"), &js, json!({"reference": "JS-9"}))
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    // The server's clock was moved past the booking; the receivers' follows it.
    let ahead = (app.clock.now() - Utc::now()).num_seconds();
    for sink in [&mut fudan, &mut agency, &mut acme, &mut sh] {
        sink.follow_clock(ahead);
    }
    deliver_all(&app, &deliverer(Retry::default()), app.clock.now()).await;

    let booked = [
        "booking.requested",
        "booking.confirmed",
        "voucher.held",
        "booking.checked_in",
        "voucher.captured",
        "booking.checked_out",
    ];
    let fudan_got = seen(&fudan, 8);
    let (of_booking, of_statement) = split(&fudan_got);
    assert_eq!(
        of_booking, booked,
        "the institution, each in order: {fudan_got:?}"
    );
    assert_eq!(of_statement, ["statement.issued", "statement.paid"]);
    let acme_got = seen(&acme, 6);
    assert_eq!(
        acme_got, booked,
        "the holder hears its booking and voucher, not the statement"
    );
    let agency_got = seen(&agency, 4);
    let (of_booking, of_statement) = split(&agency_got);
    assert_eq!(
        of_booking,
        ["voucher.held", "voucher.captured"],
        "the agency: its voucher"
    );
    assert_eq!(
        of_statement,
        ["statement.issued", "statement.paid"],
        "and its statement"
    );
    let captured = data_of(&agency, "voucher.captured");
    assert_eq!(
        (
            captured["booking_id"].as_i64(),
            captured["amount_fen"].as_i64()
        ),
        (Some(booking), Some(30_000))
    );
    assert_eq!(
        data_of(&agency, "statement.paid")["payment_reference"],
        "JS-9"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        sh.received().is_empty(),
        "another province's agency hears nothing"
    );

    // A computing allocation, approved with the voucher's share held, then used past 80 %.
    let t = app.login(BOOKER).await;
    let gpu = crate::allocations::gpu_partition(&app, &m).await;
    let voucher = crate::allocations::computing_voucher(&app, &t).await;
    let asked = app
        .post(
            "/api/v1/allocations",
            &t,
            crate::allocations::request(gpu, "fold-1", 1000, Some((voucher, 500_000))),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let id = asked.body["id"].as_i64().unwrap();
    let approved = app
        .post(
            &format!("/api/v1/allocations/{id}/approve"),
            &m,
            json!({"unit_hours": 800}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let base = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(6);
    let jobs = format!(
        "{}{}",
        crate::allocations::HEADER,
        crate::allocations::job(1, "fold-1", base, (0, 80), 8, 640.0)
    );
    let done = crate::allocations::import(&app, &m, gpu, &jobs).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    deliver_all(&app, &deliverer(Retry::default()), app.clock.now()).await;
    let later = seen(&acme, 10)[6..].to_vec();
    assert_eq!(
        later,
        [
            "voucher.held",
            "allocation.approved",
            "voucher.captured",
            "allocation.threshold"
        ],
        "{later:?}"
    );
    let threshold = &data_of(&acme, "allocation.threshold");
    assert_eq!(
        (
            threshold["allocation_id"].as_i64(),
            threshold["used_percent"].as_i64()
        ),
        (Some(id), Some(80))
    );
}

async fn a_redirect_is_not_followed(app: TestApp) {
    let mut sink = WebhookSink::start();
    sink.stop();
    sink.failing = Some(307);
    sink.resume();
    let m = app.login(MANAGER).await;
    let (hook, _) = subscribe(&app, &m, &sink, None).await;
    let t = app.login(BOOKER).await;
    book_gpu(&app, &t, 2).await;
    let done = webhooks::run(&app.db, &deliverer(Retry::default()), Utc::now()).await;
    assert_eq!(done.unwrap().retrying, 1);
    let log = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &m)
        .await
        .body;
    let tried = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["attempts"] == 1)
        .unwrap()
        .clone();
    assert_eq!(tried["last_status_code"], 307, "{tried}");
    assert!(
        tried["last_error"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed"),
        "{tried}"
    );
}

on_both_backends!(
    a_redirect_is_not_followed,
    money_reaches_the_holder_the_issuer_and_the_institution,
    a_bookings_life_arrives_in_order_signed_once,
    the_receiver_down_then_up_loses_nothing,
    two_dispatchers_deliver_once,
    a_subscription_sees_nothing_of_another_organisation,
    a_failing_endpoint_is_parked_paused_and_its_owner_told,
    subscriptions_say_what_to_fix_and_keep_their_secret,
    private_addresses_are_refused_unless_allowed
);
