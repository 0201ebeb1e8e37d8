//! Bookings on someone's behalf: a resource's staff book for a walk-in or phone user of any
//! organisation, which pays with its own vouchers; the booker is mailed, and the history shows who
//! made it.

use actix_web::http::StatusCode;
use chrono::Duration;
use serde_json::json;

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{
    acme_js_voucher, available, instrument, next_half_hour, paid_booking, slot,
};

async fn user_id(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/me", token).await.body["id"]
        .as_i64()
        .unwrap()
}

async fn a_manager_books_for_a_walk_in_user_paid_by_their_voucher(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let (booker, manager) = (user_id(&app, &t).await, user_id(&app, &m).await);
    let s = slot(next_half_hour() + Duration::hours(3), 1);
    let quote_path = format!(
        "/api/v1/resources/{xrd}/quote?start={}&end={}&voucher_id={voucher}&booker_id={booker}",
        s.0.replace('+', "%2B"),
        s.1.replace('+', "%2B")
    );
    let quote = app.get(&quote_path, &m).await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(quote.body["customer_category"], "enterprise");
    let co_payment = quote.body["co_payment_fen"].as_i64().unwrap();
    let before = available(&app, &t, voucher).await;

    let mut body = paid_booking(xrd, &s, voucher, co_payment);
    body["booker_id"] = json!(booker);
    let made = app.post("/api/v1/bookings", &m, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let b = &made.body;
    assert_eq!(b["booker_id"], booker);
    let acme = app.get("/api/v1/me", &t).await.body["organization_id"].clone();
    assert_eq!(b["organization_id"], acme, "the booker's organisation pays");
    assert_eq!(b["payment"]["customer_category"], "enterprise");
    assert_eq!(b["payment"]["voucher_id"], voucher);
    let share = b["payment"]["voucher_share_fen"].as_i64().unwrap();
    assert!(share > 0);
    assert_eq!(available(&app, &t, voucher).await, before - share);

    let id = b["id"].as_i64().unwrap();
    let history = app.get(&format!("/api/v1/bookings/{id}/history"), &t).await;
    let first = &history.body["items"][0];
    assert_eq!(first["event"], "requested");
    assert_eq!(first["actor_id"], manager, "recorded as made by staff");
    assert!(first["reason"].as_str().unwrap().contains("behalf"));
    let mine = app.list_all("/api/v1/bookings", &t).await;
    assert!(mine.iter().any(|x| x["id"] == id), "the booker sees it");
    let admin = app.login(ADMIN).await;
    let mail: Vec<_> = app
        .list_all("/api/v1/admin/messages", &admin)
        .await
        .into_iter()
        .filter(|msg| msg["booking_id"] == id && msg["kind"] == "booking_confirmed")
        .collect();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0]["user_id"], booker, "the booker is mailed");
}

async fn only_staff_book_on_behalf_and_only_for_bookers(app: TestApp) {
    let (op, t) = (app.login(OPERATOR).await, app.login(BOOKER).await);
    let nmr = resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University").await;
    let day = workday(5);
    let mut body = booking(nmr, &sh(day, "09:00"), &sh(day, "10:00"));
    let manager = app.login(MANAGER).await;
    body["booker_id"] = json!(user_id(&app, &manager).await);
    let by_booker = app.post("/api/v1/bookings", &t, body.clone()).await;
    assert_eq!(
        by_booker.status,
        StatusCode::FORBIDDEN,
        "{:?}",
        by_booker.body
    );
    let for_staff = app.post("/api/v1/bookings", &op, body.clone()).await;
    assert_eq!(
        for_staff.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        for_staff.body
    );
    assert_eq!(for_staff.body["errors"][0]["field"], "booker_id");
    body["booker_id"] = json!(user_id(&app, &t).await);
    let for_booker = app.post("/api/v1/bookings", &op, body).await;
    assert_eq!(
        for_booker.status,
        StatusCode::CREATED,
        "{:?}",
        for_booker.body
    );
    let issuer = app.login(ISSUER).await;
    let mut other = booking(nmr, &sh(day, "11:00"), &sh(day, "12:00"));
    other["booker_id"] = for_booker.body["booker_id"].clone();
    let not_staff = app.post("/api/v1/bookings", &issuer, other).await;
    assert_eq!(not_staff.status, StatusCode::FORBIDDEN);
}

on_both_backends!(
    a_manager_books_for_a_walk_in_user_paid_by_their_voucher,
    only_staff_book_on_behalf_and_only_for_bookers
);
