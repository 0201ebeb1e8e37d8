//! Upkeep: idempotency keys expire after a day and spent sign-in counters are dropped, so
//! neither table grows for ever.

use actix_web::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::{idempotency_keys as ik, sign_in_failures as sf};
use instrument_booking::error::ServiceError;

fn rows(app: &TestApp) -> (i64, i64) {
    app.db
        .read_blocking(|c| {
            let keys = ik::table.count().get_result(c)?;
            let counters = sf::table.count().get_result(c)?;
            Ok::<_, ServiceError>((keys, counters))
        })
        .unwrap()
}

async fn old_keys_and_counters_are_pruned(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = resource_id(&app, &t, "600 MHz NMR spectrometer", "Nanjing University").await;
    let day = workday(4);
    let key = [("Idempotency-Key", "order-9001")];
    let post =
        |body| app.request_with(Method::POST, "/api/v1/bookings", Some(&t), Some(body), &key);
    let first = post(booking(nmr, &sh(day, "09:00"), &sh(day, "10:00"))).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other = booking(nmr, &sh(day, "13:00"), &sh(day, "14:00"));
    assert_eq!(
        post(other.clone()).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the key is in use"
    );
    let wrong = json!({"email": BOOKER, "password": "not-the-password"});
    app.request(Method::POST, "/api/v1/auth/token", None, Some(wrong))
        .await;
    assert_eq!(
        rows(&app),
        (1, 3),
        "one key; the account, pair and address counters"
    );

    let soon =
        instrument_booking::jobs::prune::run(&app.db, Utc::now() + Duration::hours(1)).unwrap();
    assert_eq!(
        (soon, rows(&app)),
        (3, (1, 0)),
        "counters go after their window, keys stay a day"
    );
    let later =
        instrument_booking::jobs::prune::run(&app.db, Utc::now() + Duration::hours(25)).unwrap();
    assert_eq!((later, rows(&app)), (1, (0, 0)));
    assert_eq!(
        post(other).await.status,
        StatusCode::CREATED,
        "an expired key is a new request"
    );
}

on_both_backends!(old_keys_and_counters_are_pruned);
