//! Weekly series one can act on: read with its occurrences, the rest cancelled in one step, and
//! one message for the whole series rather than one per occurrence.

use actix_web::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{acme_js_voucher, available, instrument, next_half_hour, slot};

/// The messages about bookings of `ids`, as (kind, user) pairs.
async fn mail_about(app: &TestApp, ids: &[i64]) -> Vec<(String, i64)> {
    let admin = app.login(ADMIN).await;
    app.list_all("/api/v1/admin/messages", &admin)
        .await
        .into_iter()
        .filter(|m| ids.iter().any(|id| m["booking_id"] == *id))
        .map(|m| {
            let kind = m["kind"].as_str().unwrap().to_owned();
            (kind, m["user_id"].as_i64().unwrap())
        })
        .collect()
}

async fn a_series_is_read_cancelled_and_told_once(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let before = available(&app, &t, voucher).await;
    let s = slot(next_half_hour() + Duration::hours(2), 1);
    let body = json!({"resource_id": xrd, "start": s.0, "end": s.1, "purpose": "weekly phase analysis",
        "weeks": 4, "voucher_id": voucher, "accepted_co_payment_fen": 30_000});
    let made = app.post("/api/v1/booking-series", &t, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let series = made.body["series_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/booking-series/{series}");
    assert_eq!(made.header("location").as_deref(), Some(path.as_str()));

    let read = app.get(&path, &t).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    let occurrences = read.body["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 4);
    assert!(occurrences.iter().all(|o| o["state"] == "confirmed"));
    let ids: Vec<i64> = occurrences
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(available(&app, &t, voucher).await, before - 4 * 30_000);
    let booker = read.body["booker_id"].as_i64().unwrap();
    assert_eq!(
        mail_about(&app, &ids).await,
        vec![("series_booked".to_owned(), booker)],
        "one message for the series, with no confirmation or receipt per occurrence"
    );
    let stranger = app.login(ISSUER).await;
    assert_eq!(
        app.get(&path, &stranger).await.status,
        StatusCode::NOT_FOUND
    );
    let not_an_id = app.get("/api/v1/booking-series/42", &t).await;
    assert_eq!(not_an_id.status, StatusCode::BAD_REQUEST);

    // Once the first occurrence has begun, the rest of the series is cancelled in one step.
    let first_start: chrono::DateTime<chrono::Utc> = s.0.parse().unwrap();
    app.clock.set(first_start + Duration::minutes(5));
    let cancel = format!("{path}/cancel");
    let done = app
        .post(&cancel, &t, json!({"reason": "project ended"}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["cancelled"], 3);
    let outcomes: Vec<&Value> = done.body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(outcomes.iter().all(|o| o["outcome"] == "cancelled"));
    assert_eq!(outcomes[0]["booking"]["id"], ids[1], "the begun one stays");
    assert_eq!(available(&app, &t, voucher).await, before - 30_000);
    let told = mail_about(&app, &ids).await;
    assert_eq!(
        told.iter().filter(|(k, _)| k == "series_cancelled").count(),
        1,
        "{told:?}"
    );
    assert_eq!(
        told.len(),
        2,
        "no message per cancelled occurrence: {told:?}"
    );
    let events = app.events(ids[3], &t).await;
    assert_eq!(events, ["requested", "cancelled_with_series"]);
    let again = app
        .post(&cancel, &t, json!({"reason": "project ended"}))
        .await;
    assert_eq!(again.body["cancelled"], 0);
}

on_both_backends!(a_series_is_read_cancelled_and_told_once);
