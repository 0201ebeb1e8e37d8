//! Dates within reason and quotes held to the booking rules: year 0, a blackout of a thousand
//! years, a report of the first century or a quote no booking could match are each a 422 that
//! names the field.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

fn refused(resp: &Response, field: &str) {
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        resp.body
    );
    assert_eq!(resp.body["errors"][0]["field"], field, "{:?}", resp.body);
}

async fn dates_outside_reason_are_refused(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let nmr = resource_id(&app, &m, "800 MHz NMR spectrometer", "Fudan University").await;
    let path = format!("/api/v1/resources/{nmr}/blackouts");
    let millennium =
        json!({"start": "2027-01-01T00:00:00Z", "end": "3027-01-01T00:00:00Z", "reason": "refit"});
    refused(&app.post(&path, &m, millennium).await, "end");
    let year0 =
        json!({"start": "0000-01-01T00:00:00Z", "end": "0000-01-02T00:00:00Z", "reason": "refit"});
    refused(&app.post(&path, &m, year0).await, "start");
    let ancient = booking(
        nmr,
        "0001-03-01T09:00:00+08:00",
        "0001-03-01T10:00:00+08:00",
    );
    refused(&app.post("/api/v1/bookings", &t, ancient).await, "start");
    let report = app
        .get("/api/v1/reports/sharing?from=0001-01-01&to=0001-12-31", &m)
        .await;
    refused(&report, "from");
    let issuer = app.login(ISSUER).await;
    let forever = json!({"code": "SH-FOREVER", "name_en": "Forever", "name_zh": "永久", "kind": "instrument",
        "ratio_bps": 5000, "annual_cap_fen": 1000, "valid_from": "2026-01-01", "valid_until": "9999-12-31",
        "accepted_provinces": ["SH"], "eligible_kinds": ["instrument"]});
    refused(
        &app.post("/api/v1/voucher-programs", &issuer, forever).await,
        "valid_until",
    );
}

async fn quotes_are_held_to_the_booking_rules(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = resource_id(&app, &t, "600 MHz NMR spectrometer", "Nanjing University").await;
    let quote = |start: String, end: String, quantity: i64| {
        format!(
            "/api/v1/resources/{nmr}/quote?start={}&end={}&quantity={quantity}",
            crate::bookings::enc(&start),
            crate::bookings::enc(&end)
        )
    };
    let day = workday(3);
    let fine = app
        .get(&quote(sh(day, "09:00"), sh(day, "11:00"), 1), &t)
        .await;
    assert_eq!(fine.status, StatusCode::OK, "{:?}", fine.body);
    let long = app
        .get(
            &quote(sh(day, "09:00"), "2999-01-01T00:00:00+08:00".into(), 1),
            &t,
        )
        .await;
    refused(&long, "end");
    let odd = app
        .get(&quote(sh(day, "09:07"), sh(day, "11:00"), 1), &t)
        .await;
    refused(&odd, "start");
    let many = app
        .get(&quote(sh(day, "09:00"), sh(day, "11:00"), 5), &t)
        .await;
    refused(&many, "quantity");
}

on_both_backends!(
    dates_outside_reason_are_refused,
    quotes_are_held_to_the_booking_rules
);
