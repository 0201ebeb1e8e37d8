//! People told what concerns them: the operator when a waitlisted request becomes pending, and a
//! booker whose request waits for time a new blackout covers.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

/// Messages of `kind` about booking `id`, by recipient.
async fn told(app: &TestApp, kind: &str, id: i64) -> Vec<i64> {
    let admin = app.login(ADMIN).await;
    app.list_all("/api/v1/admin/messages", &admin)
        .await
        .into_iter()
        .filter(|m| m["kind"] == kind && m["booking_id"] == id)
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect()
}

/// The 800 MHz NMR (manual approval, run by the demo operator): a pending request and a second
/// one waitlisted behind it.
async fn pending_and_waitlisted(app: &TestApp, t: &str) -> (i64, i64, i64) {
    let nmr = resource_id(app, t, "800 MHz NMR spectrometer", "Fudan University").await;
    let day = workday(6);
    let first = app
        .post(
            "/api/v1/bookings",
            t,
            booking(nmr, &sh(day, "09:00"), &sh(day, "11:00")),
        )
        .await;
    assert_eq!(first.body["state"], "pending", "{:?}", first.body);
    let mut wait = booking(nmr, &sh(day, "10:00"), &sh(day, "12:00"));
    wait["waitlist"] = json!(true);
    let second = app.post("/api/v1/bookings", t, wait).await;
    assert_eq!(second.body["state"], "waitlisted", "{:?}", second.body);
    let id = |r: &Response| r.body["id"].as_i64().unwrap();
    (nmr, id(&first), id(&second))
}

async fn the_operator_hears_of_a_request_that_moves_off_the_waitlist(app: TestApp) {
    let (op, t) = (app.login(OPERATOR).await, app.login(BOOKER).await);
    let (_, first, second) = pending_and_waitlisted(&app, &t).await;
    let operator = app.get("/api/v1/me", &op).await.body["id"]
        .as_i64()
        .unwrap();
    assert!(told(&app, "new_request", second).await.is_empty());
    let cancelled = app
        .post(
            &format!("/api/v1/bookings/{first}/cancel"),
            &t,
            json!({"reason": "sample not ready"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let now = app.get(&format!("/api/v1/bookings/{second}"), &t).await;
    assert_eq!(now.body["state"], "pending");
    assert_eq!(told(&app, "new_request", second).await, vec![operator]);
}

async fn a_blackout_lists_and_tells_the_requests_waiting_inside_it(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let (nmr, first, second) = pending_and_waitlisted(&app, &t).await;
    let day = workday(6);
    let path = format!("/api/v1/resources/{nmr}/blackouts");
    let blackout =
        json!({"start": sh(day, "08:00"), "end": sh(day, "18:00"), "reason": "magnet quench"});
    let asked = app.post(&path, &m, blackout.clone()).await;
    assert_eq!(asked.status, StatusCode::CONFLICT, "{:?}", asked.body);
    let listed: Vec<(Value, Value)> = asked.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["booking_id"].clone(), c["state"].clone()))
        .collect();
    assert!(
        listed.contains(&(json!(first), json!("pending"))),
        "{listed:?}"
    );
    assert!(
        listed.contains(&(json!(second), json!("waitlisted"))),
        "{listed:?}"
    );

    let mut keep = blackout;
    keep["collisions"] = json!("keep");
    let kept = app.post(&path, &m, keep).await;
    assert_eq!(kept.status, StatusCode::CREATED, "{:?}", kept.body);
    let booker = app.get("/api/v1/me", &t).await.body["id"].as_i64().unwrap();
    assert_eq!(
        told(&app, "booking_blacked_out", second).await,
        vec![booker]
    );
    assert!(told(&app, "booking_blacked_out", first).await.is_empty());
    let events = app.events(second, &t).await;
    assert_eq!(events.last().unwrap(), "blackout_over_request");
}

on_both_backends!(
    the_operator_hears_of_a_request_that_moves_off_the_waitlist,
    a_blackout_lists_and_tells_the_requests_waiting_inside_it
);
