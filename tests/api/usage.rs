//! Actual use: check-in and check-out, no-shows after the grace period (with an injected clock),
//! and qualifications that decide between self-operation and operator assistance.

use actix_web::http::{Method, StatusCode};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

/// A 24/7 computing partition of Fudan's with no lead time, booked by the half hour.
async fn gpu_partition(app: &TestApp, manager: &str) -> i64 {
    let body = json!({"kind": "computing", "name_en": "Fudan GPU nodes", "name_zh": "复旦GPU节点", "category": "computing",
        "original_value_cny": 3000000, "jurisdiction_code": "310100", "capacity": 8, "unit": "GPU", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"granularity_min": 30, "lead_time_min": 0, "no_show_grace_min": 15}});
    let made = app.post("/api/v1/resources", manager, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

fn next_half_hour() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(30)).unwrap() + Duration::minutes(30)
}

async fn check_in_and_out_record_actual_use(app: TestApp) {
    let m = app.login(MANAGER).await;
    let t = app.login(BOOKER).await;
    let gpu = gpu_partition(&app, &m).await;
    let start = next_half_hour();
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(
                gpu,
                &start.to_rfc3339(),
                &(start + Duration::hours(1)).to_rfc3339(),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let early_out = app
        .post(&format!("/api/v1/bookings/{id}/check-out"), &m, json!({}))
        .await;
    assert_eq!(early_out.status, StatusCode::CONFLICT);
    let by_booker = app
        .post(&format!("/api/v1/bookings/{id}/check-in"), &t, json!({}))
        .await;
    assert_eq!(by_booker.status, StatusCode::FORBIDDEN);
    let checked_in = app
        .post(&format!("/api/v1/bookings/{id}/check-in"), &m, json!({}))
        .await;
    assert_eq!(checked_in.status, StatusCode::OK, "{:?}", checked_in.body);
    assert!(checked_in.body["check_in_at"].is_string());
    let out = app
        .post(&format!("/api/v1/bookings/{id}/check-out"), &m, json!({}))
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert_eq!(out.body["state"], "completed");
    assert!(out.body["check_out_at"].is_string());
    let events = app.events(id, &t).await;
    assert_eq!(events, vec!["requested", "checked_in", "checked_out"]);
}

async fn nobody_checks_in_so_it_is_a_no_show(app: TestApp) {
    let m = app.login(MANAGER).await;
    let t = app.login(BOOKER).await;
    let gpu = gpu_partition(&app, &m).await;
    let start = next_half_hour() + Duration::hours(2);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(
                gpu,
                &start.to_rfc3339(),
                &(start + Duration::hours(1)).to_rfc3339(),
            ),
        )
        .await;
    let id = made.body["id"].as_i64().unwrap();
    let mark = |now: DateTime<Utc>| {
        app.db
            .write_blocking(|c| instrument_booking::booking::usage::mark_no_shows(c, now, 100))
            .unwrap()
    };
    assert_eq!(
        mark(start + Duration::minutes(14)),
        0,
        "still within the 15-minute grace"
    );
    assert_eq!(mark(start + Duration::minutes(15)), 1);
    assert_eq!(mark(start + Duration::minutes(16)), 0, "marked once");
    let now = app.get(&format!("/api/v1/bookings/{id}"), &t).await;
    assert_eq!(now.body["state"], "no_show");
}

async fn qualifications_decide_self_operation(app: TestApp) {
    let m = app.login(MANAGER).await;
    let op = app.login(OPERATOR).await;
    let t = app.login(BOOKER).await;
    let nmr = resource_id(&app, &m, "800 MHz NMR spectrometer", "Fudan University").await;
    let patch = app
        .request_with(
            Method::PATCH,
            &format!("/api/v1/resources/{nmr}"),
            Some(&m),
            Some(json!({"requires_qualification": true})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK);
    let day = workday(5);
    let first = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    assert_eq!(first.body["operation"], "assisted");

    let me = app.get("/api/v1/me", &t).await.body["id"].as_i64().unwrap();
    let expires = (Utc::now() + Duration::days(365)).to_rfc3339();
    let denied = app
        .post(
            "/api/v1/qualifications",
            &t,
            json!({"user_id": me, "resource_id": nmr, "expires_at": expires}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let granted = app
        .post(
            "/api/v1/qualifications",
            &op,
            json!({"user_id": me, "resource_id": nmr, "expires_at": expires}),
        )
        .await;
    assert_eq!(granted.status, StatusCode::CREATED, "{:?}", granted.body);
    let mine = app.get("/api/v1/qualifications", &t).await;
    assert_eq!(mine.body["items"][0]["resource_id"], nmr);
    let second = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "11:00"), &sh(day, "12:00")),
        )
        .await;
    assert_eq!(second.body["operation"], "self");

    let qid = granted.body["id"].as_i64().unwrap();
    let revoked = app
        .post(
            &format!("/api/v1/qualifications/{qid}/revoke"),
            &op,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revoked_at"].is_string());
    let third = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "13:00"), &sh(day, "14:00")),
        )
        .await;
    assert_eq!(third.body["operation"], "assisted");
    let past = app
        .post(
            "/api/v1/qualifications",
            &op,
            json!({"user_id": me, "resource_id": nmr, "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn pending_requests_lapse_exactly_at_their_deadline(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr800 = resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University").await;
    let day = workday(6);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr800, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    assert_eq!(made.body["state"], "pending");
    let id = made.body["id"].as_i64().unwrap();
    let deadline: DateTime<Utc> = made.body["pending_deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let run = |now| instrument_booking::jobs::bookings::run(&app.db, now).unwrap();
    run(deadline - Duration::seconds(1));
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), &t).await.body["state"],
        "pending"
    );
    let done = run(deadline);
    assert_eq!(done.resources_with_lapsed_requests, 1);
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), &t).await.body["state"],
        "expired"
    );
    assert_eq!(
        run(deadline + Duration::minutes(1)).resources_with_lapsed_requests,
        0,
        "done once"
    );
    let history = app.get(&format!("/api/v1/bookings/{id}/history"), &t).await;
    assert_eq!(history.body["items"][1]["event"], "expired");
}

on_both_backends!(
    pending_requests_lapse_exactly_at_their_deadline,
    check_in_and_out_record_actual_use,
    nobody_checks_in_so_it_is_a_no_show,
    qualifications_decide_self_operation
);
