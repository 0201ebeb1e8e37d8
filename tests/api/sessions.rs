//! Recorded use respects capacity: a second check-in while the first user is still checked in is
//! refused with the open session named, and an early check-in only takes free time.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::bookings::booking;
use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{instrument, next_half_hour};

async fn book(app: &TestApp, token: &str, id: i64, start: DateTime<Utc>, hours: i64) -> i64 {
    let end = start + Duration::hours(hours);
    let made = app
        .post(
            "/api/v1/bookings",
            token,
            booking(id, &start.to_rfc3339(), &end.to_rfc3339()),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

async fn record(app: &TestApp, token: &str, id: i64, step: &str, at: DateTime<Utc>) -> Response {
    app.clock.set(at);
    app.post(&format!("/api/v1/bookings/{id}/{step}"), token, json!({}))
        .await
}

async fn a_second_check_in_waits_for_the_first_to_end(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let s = next_half_hour() + Duration::hours(2);
    let first = book(&app, &t, xrd, s, 1).await;
    let second = book(&app, &t, xrd, s + Duration::hours(1), 1).await;
    let m10 = Duration::minutes(10);

    let arrived = record(&app, &m, first, "check-in", s + m10).await;
    assert_eq!(arrived.status, StatusCode::OK, "{:?}", arrived.body);
    let crowded = record(&app, &m, second, "check-in", s + Duration::hours(1)).await;
    assert_eq!(crowded.status, StatusCode::CONFLICT, "{:?}", crowded.body);
    assert_eq!(crowded.code(), "in_use");
    assert_eq!(crowded.body["sessions"][0]["booking_id"], first);
    let detail = crowded.body["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("booking {first}")), "{detail}");

    let left = record(&app, &m, first, "check-out", s + Duration::minutes(62)).await;
    assert_eq!(left.status, StatusCode::OK, "{:?}", left.body);
    let arrived = record(&app, &m, second, "check-in", s + Duration::minutes(63)).await;
    assert_eq!(arrived.status, StatusCode::OK, "{:?}", arrived.body);
    // The first user's use ended before the second began: never two at once on one unit.
    let at =
        |b: &Value, field: &str| -> DateTime<Utc> { b[field].as_str().unwrap().parse().unwrap() };
    assert!(at(&arrived.body, "check_in_at") >= at(&left.body, "check_out_at"));
}

async fn an_early_check_in_only_takes_free_time(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let s = next_half_hour() + Duration::hours(2);
    let _before = book(&app, &t, xrd, s, 1).await;
    let later = book(&app, &t, xrd, s + Duration::hours(1), 1).await;
    let lone = book(&app, &t, xrd, s + Duration::hours(4), 1).await;

    // Twenty minutes early onto the slot before, which is someone's booking.
    let onto_taken = record(&app, &m, later, "check-in", s + Duration::minutes(40)).await;
    assert_eq!(
        onto_taken.status,
        StatusCode::CONFLICT,
        "{:?}",
        onto_taken.body
    );
    assert_eq!(onto_taken.code(), "slot_unavailable");
    let detail = onto_taken.body["detail"].as_str().unwrap();
    assert!(detail.contains("taken until"), "{detail}");
    assert!(onto_taken.body["conflicts"][0]["start"].is_string());

    // Forty minutes early into free time: allowed, and billed from the arrival.
    let early = s + Duration::hours(4) - Duration::minutes(40);
    let arrived = record(&app, &m, lone, "check-in", early).await;
    assert_eq!(arrived.status, StatusCode::OK, "{:?}", arrived.body);
    let done = record(&app, &m, lone, "check-out", s + Duration::hours(5)).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    // 100 minutes at 600 yuan an hour.
    assert_eq!(done.body["payment"]["final_gross_fen"], 100_000);
}

on_both_backends!(
    a_second_check_in_waits_for_the_first_to_end,
    an_early_check_in_only_takes_free_time
);
