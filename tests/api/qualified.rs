//! Qualifications judged over the whole booking: one that expires before the booking's day does
//! not make it self-operated, a revocation turns upcoming bookings into assisted ones and tells the
//! booker, a check-in judges again, and a resource can take qualified users only.

use actix_web::http::{Method, StatusCode};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde_json::{Value, json};

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

/// Fudan's 800 MHz NMR with the given self-operation fields.
async fn nmr(app: &TestApp, manager: &str, policy: Value) -> i64 {
    let id = resource_id(app, manager, "800 MHz NMR spectrometer", "Fudan University").await;
    let patch = app
        .request_with(
            Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            Some(manager),
            Some(policy),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{:?}", patch.body);
    id
}

async fn qualify(app: &TestApp, op: &str, user: i64, resource: i64, until: NaiveDate) -> i64 {
    let body = json!({"user_id": user, "resource_id": resource, "expires_at": sh(until, "00:00")});
    let granted = app.post("/api/v1/qualifications", op, body).await;
    assert_eq!(granted.status, StatusCode::CREATED, "{:?}", granted.body);
    granted.body["id"].as_i64().unwrap()
}

async fn book(app: &TestApp, t: &str, id: i64, day: NaiveDate, from: &str, to: &str) -> Response {
    app.post(
        "/api/v1/bookings",
        t,
        booking(id, &sh(day, from), &sh(day, to)),
    )
    .await
}

async fn operation(app: &TestApp, t: &str, id: i64) -> String {
    let b = app.get(&format!("/api/v1/bookings/{id}"), t).await;
    b.body["operation"].as_str().unwrap().to_owned()
}

async fn an_expiry_before_the_day_means_assistance(app: TestApp) {
    let (m, op, t) = (
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let id = nmr(&app, &m, json!({"requires_qualification": true})).await;
    let me = app.get("/api/v1/me", &t).await.body["id"].as_i64().unwrap();
    // A day whose eve is a workday too, so the lab is open on both.
    let mut day = workday(5);
    if day.weekday() == Weekday::Mon {
        day += Duration::days(1);
    }
    // Valid until the start of the booking's day: not over the booking.
    qualify(&app, &op, me, id, day).await;
    let after_expiry = book(&app, &t, id, day, "09:00", "10:00").await;
    assert_eq!(
        after_expiry.status,
        StatusCode::CREATED,
        "{:?}",
        after_expiry.body
    );
    assert_eq!(after_expiry.body["operation"], "assisted");
    let before_expiry = book(&app, &t, id, day - Duration::days(1), "09:00", "10:00").await;
    assert_eq!(before_expiry.body["operation"], "self");

    // A longer qualification makes the later booking self-operated too.
    qualify(&app, &op, me, id, day + Duration::days(30)).await;
    let later = after_expiry.body["id"].as_i64().unwrap();
    assert_eq!(operation(&app, &t, later).await, "self");
}

async fn a_revocation_turns_upcoming_bookings_assisted_and_tells_the_booker(app: TestApp) {
    let (m, op, t) = (
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let id = nmr(&app, &m, json!({"requires_qualification": true})).await;
    let me = app.get("/api/v1/me", &t).await.body["id"].as_i64().unwrap();
    let day = workday(5);
    let q = qualify(&app, &op, me, id, day + Duration::days(60)).await;
    let made = book(&app, &t, id, day, "09:00", "10:00").await;
    assert_eq!(made.body["operation"], "self");
    let booking_id = made.body["id"].as_i64().unwrap();

    let revoked = app
        .post(
            &format!("/api/v1/qualifications/{q}/revoke"),
            &op,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{:?}", revoked.body);
    assert_eq!(operation(&app, &t, booking_id).await, "assisted");
    let events = app.events(booking_id, &t).await;
    assert!(
        events.iter().any(|e| e == "operation_assisted"),
        "{events:?}"
    );
    let admin = app.login(ADMIN).await;
    let told = app
        .list_all("/api/v1/admin/messages", &admin)
        .await
        .into_iter()
        .filter(|msg| msg["kind"] == "booking_assisted" && msg["booking_id"] == booking_id)
        .count();
    assert_eq!(told, 1);
}

async fn a_check_in_judges_the_qualification_again(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let id = nmr(&app, &m, json!({"requires_qualification": false})).await;
    let made = book(&app, &t, id, workday(5), "09:00", "10:00").await;
    assert_eq!(made.body["operation"], "self");
    let booking_id = made.body["id"].as_i64().unwrap();
    // The resource came to require a qualification after the booking was made.
    nmr(&app, &m, json!({"requires_qualification": true})).await;
    let confirmed = app
        .post(
            &format!("/api/v1/bookings/{booking_id}/approve"),
            &m,
            json!({}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    let start: chrono::DateTime<chrono::Utc> =
        made.body["start"].as_str().unwrap().parse().unwrap();
    app.clock.set(start);
    let arrived = app
        .post(
            &format!("/api/v1/bookings/{booking_id}/check-in"),
            &m,
            json!({}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{:?}", arrived.body);
    assert_eq!(arrived.body["operation"], "assisted");
}

async fn a_resource_can_take_qualified_users_only(app: TestApp) {
    let (m, op, t) = (
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let alone = json!({"requires_qualification": false, "qualified_only": true});
    let id = resource_id(&app, &m, "800 MHz NMR spectrometer", "Fudan University").await;
    let refused = app
        .request_with(
            Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            Some(&m),
            Some(alone),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["field"], "qualified_only");

    let policy = json!({"requires_qualification": true, "qualified_only": true});
    let id = nmr(&app, &m, policy).await;
    let shown = app.get(&format!("/api/v1/resources/{id}"), &t).await;
    assert_eq!(shown.body["qualified_only"], true);
    let day = workday(5);
    let unqualified = book(&app, &t, id, day, "09:00", "10:00").await;
    assert_eq!(
        unqualified.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        unqualified.body
    );
    assert_eq!(unqualified.code(), "not_qualified");
    let me = app.get("/api/v1/me", &t).await.body["id"].as_i64().unwrap();
    qualify(&app, &op, me, id, day + Duration::days(30)).await;
    let qualified = book(&app, &t, id, day, "09:00", "10:00").await;
    assert_eq!(
        qualified.status,
        StatusCode::CREATED,
        "{:?}",
        qualified.body
    );
    assert_eq!(qualified.body["operation"], "self");
}

on_both_backends!(
    an_expiry_before_the_day_means_assistance,
    a_revocation_turns_upcoming_bookings_assisted_and_tells_the_booker,
    a_check_in_judges_the_qualification_again,
    a_resource_can_take_qualified_users_only
);
