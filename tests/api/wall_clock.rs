//! Durations are real elapsed time, on the night the clocks go back as on any other: the rules,
//! the quote, the booking's price and its capture all count the same minutes.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::bookings::booking;
use crate::harness::{BOOKER, MANAGER, Response, TestApp};
use crate::on_both_backends;

/// A Berlin instrument open day and night, booked by the hour for at most an hour.
async fn berlin_night_instrument(app: &TestApp, manager: &str) -> i64 {
    let body = json!({"kind": "instrument", "name_en": "Partner night spectrometer", "name_zh": "合作夜间谱仪",
        "category": "analytical", "original_value_cny": 2000000, "jurisdiction_code": "310100",
        "timezone": "Europe/Berlin", "approval_policy": "auto",
        "rates": {"internal": 1000, "academic": 2000, "enterprise": 6000},
        "booking_rules": {"granularity_min": 60, "min_duration_min": 60, "max_duration_min": 60,
                          "advance_window_days": 700, "lead_time_min": 0}});
    let made = app.post("/api/v1/resources", manager, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    app.open_around_the_clock(id, manager).await;
    id
}

async fn quote(app: &TestApp, token: &str, id: i64, start: &str, end: &str) -> Response {
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");
    let url = format!(
        "/api/v1/resources/{id}/quote?start={}&end={}",
        enc(start),
        enc(end)
    );
    app.get(&url, token).await
}

async fn the_hour_the_clocks_go_back_is_booked_and_billed_as_an_hour(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let id = berlin_night_instrument(&app, &m).await;
    // 31 October 2027: Berlin's clocks go from 03:00+02:00 back to 02:00+01:00.
    let (start, end) = ("2027-10-31T02:00:00+02:00", "2027-10-31T03:00:00+02:00");
    let quoted = quote(&app, &t, id, start, end).await;
    assert_eq!(quoted.status, StatusCode::OK, "{:?}", quoted.body);
    assert_eq!(quoted.body["gross_fen"], 6_000);
    let made = app
        .post("/api/v1/bookings", &t, booking(id, start, end))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["payment"]["gross_fen"], 6_000);

    // One hour on the wall clock, two real hours: too long for this resource, for the quote as
    // for the booking.
    let (start, end) = ("2027-10-31T01:00:00+02:00", "2027-10-31T02:00:00+01:00");
    let quoted = quote(&app, &t, id, start, end).await;
    assert_eq!(
        quoted.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        quoted.body
    );
    assert_eq!(
        quoted.body["detail"],
        "end: bookings last at most 60 minutes"
    );
    let long = app
        .post("/api/v1/bookings", &t, booking(id, start, end))
        .await;
    assert_eq!(
        long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        long.body
    );
    assert_eq!(long.body["detail"], quoted.body["detail"]);
}

on_both_backends!(the_hour_the_clocks_go_back_is_booked_and_billed_as_an_hour);
