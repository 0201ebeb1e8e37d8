//! Facilities priced per shift: the rate card states its unit, and the quote, the booking, the
//! capture on recorded use, the settlement report and an issued statement all count whole
//! shifts.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;

use crate::bookings::enc;
use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{acme_js_voucher, paid_booking, slot};

/// A Fudan beamline station booked in 8-hour shifts, 2 000 yuan a shift for enterprises.
async fn beamline(app: &TestApp, manager: &str) -> i64 {
    let body = json!({"kind": "facility", "name_en": "Test beamline station", "name_zh": "测试线站",
        "category": "synchrotron", "original_value_cny": 80000000, "jurisdiction_code": "310100",
        "approval_policy": "auto",
        "rates": {"internal": 50000, "academic": 100000, "enterprise": 200000, "per": "shift"},
        "booking_rules": {"granularity_min": 480, "max_duration_min": 960, "lead_time_min": 0,
                          "cancel_lead_time_min": 0}});
    let made = app.post("/api/v1/resources", manager, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["rates"]["per"], "shift");
    let id = made.body["id"].as_i64().unwrap();
    app.open_around_the_clock(id, manager).await;
    id
}

/// The next shift boundary (00:00, 08:00 or 16:00 in Shanghai) at least an hour away.
fn next_shift() -> DateTime<Utc> {
    let soon = Utc::now() + Duration::hours(1);
    soon.duration_trunc(Duration::hours(8)).unwrap() + Duration::hours(8)
}

async fn a_shift_is_priced_booked_captured_and_settled_per_shift(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let id = beamline(&app, &m).await;
    let voucher = acme_js_voucher(&app, &t).await;
    let start = next_shift();
    let two = slot(start, 16);
    let url = format!(
        "/api/v1/resources/{id}/quote?start={}&end={}",
        enc(&two.0),
        enc(&two.1)
    );
    let quote = app.get(&url, &t).await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(
        (&quote.body["rate_per"], &quote.body["shift_min"]),
        (&json!("shift"), &json!(480))
    );
    assert_eq!(quote.body["gross_fen"], 400_000, "two shifts");
    assert_eq!(quote.body["rate_fen_per_unit_hour"], 25_000);

    let one = slot(start, 8);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            paid_booking(id, &one, voucher, 100_000),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let p = &made.body["payment"];
    assert_eq!(
        (&p["rate_fen"], &p["rate_per"]),
        (&json!(200_000), &json!("shift"))
    );
    assert_eq!(
        (&p["gross_fen"], &p["voucher_share_fen"]),
        (&json!(200_000), &json!(100_000))
    );
    let booking = made.body["id"].as_i64().unwrap();

    // Six hours of the eight used: still one shift.
    let path = |step: &str| format!("/api/v1/bookings/{booking}/{step}");
    app.clock.set(start + Duration::minutes(10));
    let arrived = app.post(&path("check-in"), &m, json!({})).await;
    assert_eq!(arrived.status, StatusCode::OK, "{:?}", arrived.body);
    let left = start + Duration::hours(6);
    app.clock.set(left);
    let done = app.post(&path("check-out"), &m, json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let p = &done.body["payment"];
    assert_eq!(p["final_gross_fen"], 200_000);
    assert_eq!(p["final_voucher_fen"], 100_000);

    let day = (left + Duration::hours(8)).date_naive();
    let statement = app
        .get(&format!("/api/v1/settlements?from={day}&to={day}"), &m)
        .await;
    assert_eq!(statement.status, StatusCode::OK, "{:?}", statement.body);
    let line = &statement.body["lines"][0];
    assert_eq!(line["booking_id"], booking);
    assert_eq!(line["amount_fen"], 100_000);

    // Issued to Jiangsu's agency, the statement claims the one shift.
    let period = json!({"issuer_id": line["issuer_id"], "from": day, "to": day});
    let issued = app.post("/api/v1/settlement-statements", &m, period).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(
        (&issued.body["amount_fen"], &issued.body["line_count"]),
        (&json!(100_000), &json!(1))
    );
}

async fn computing_is_priced_per_unit_hour_only(app: TestApp) {
    let m = app.login(MANAGER).await;
    let body = json!({"kind": "computing", "name_en": "Shift GPUs", "name_zh": "按班GPU", "category": "computing",
        "original_value_cny": 3000000, "jurisdiction_code": "310100", "capacity": 8, "unit": "GPU",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3, "per": "shift"}});
    let refused = app.post("/api/v1/resources", &m, body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["field"], "rates.per");
}

on_both_backends!(
    a_shift_is_priced_booked_captured_and_settled_per_shift,
    computing_is_priced_per_unit_hour_only
);
