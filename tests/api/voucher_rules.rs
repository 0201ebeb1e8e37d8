//! Voucher rules beyond a single payment: the annual cap across an enterprise's vouchers and
//! years, expiry, every limit a quote can name, and settlement queries.

use actix_web::http::{Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{
    acme_js_voucher, available, book, instrument, ledger, next_half_hour, paid_booking, quote, slot,
};
use instrument_booking::error::ServiceError;

async fn the_annual_cap_spans_an_enterprises_vouchers(app: TestApp) {
    let (m, t, issuer) = (
        app.login(MANAGER).await,
        app.login(BOOKER).await,
        app.login(JS_ISSUER).await,
    );
    let xrd = instrument(&app, &m, "auto").await;
    let programme = app
        .post("/api/v1/voucher-programs", &issuer, json!({
            "code": "JS-CAP", "name_en": "Capped voucher", "name_zh": "限额创新券", "kind": "innovation",
            "ratio_bps": 5000, "annual_cap_fen": 40_000, "valid_from": "2026-01-01", "valid_until": "2030-12-31",
            "accepted_provinces": ["SH"], "eligible_kinds": ["instrument"]}))
        .await;
    assert_eq!(
        programme.status,
        StatusCode::CREATED,
        "{:?}",
        programme.body
    );
    let acme = app.get("/api/v1/me", &t).await.body["organization_id"].clone();
    let grant = json!({"program_id": programme.body["id"], "enterprise_id": acme, "amount_fen": 100_000,
        "expires_at": "2030-06-30T00:00:00+08:00"});
    let key = [("Idempotency-Key", "grant-1")];
    let keyed_grant = || {
        let (path, body) = ("/api/v1/vouchers", Some(grant.clone()));
        app.request_with(Method::POST, path, Some(&issuer), body, &key)
    };
    let first = keyed_grant().await;
    let replay = keyed_grant().await;
    assert_eq!(
        replay.body["id"], first.body["id"],
        "a retried grant grants once"
    );
    let second = app.post("/api/v1/vouchers", &issuer, grant).await;
    let (v1, v2) = (
        first.body["id"].as_i64().unwrap(),
        second.body["id"].as_i64().unwrap(),
    );

    let two_hours = slot(next_half_hour() + Duration::hours(24), 2);
    let q = quote(&app, &t, xrd, &two_hours, v1).await;
    assert_eq!(
        q["voucher"]["share_fen"], 40_000,
        "60 000 by ratio, 40 000 by the cap"
    );
    assert_eq!(q["voucher"]["limited_by"], "annual_cap");
    book(&app, &t, paid_booking(xrd, &two_hours, v1, 80_000)).await;
    let other = slot(next_half_hour() + Duration::hours(30), 1);
    let q2 = quote(&app, &t, xrd, &other, v2).await;
    assert_eq!(
        (
            q2["voucher"]["share_fen"].as_i64(),
            q2["voucher"]["limited_by"].as_str()
        ),
        (Some(0), Some("annual_cap"))
    );
    let v = app.get(&format!("/api/v1/vouchers/{v2}"), &t).await;
    assert_eq!(v.body["annual_cap_left_fen"], 0);
    assert_eq!(
        v.body["balance"]["available"], 100_000,
        "the balance itself is untouched"
    );
}

async fn after_expiry_nothing_can_be_spent(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let s = slot(next_half_hour() + Duration::hours(24), 1);
    let held = book(&app, &t, paid_booking(xrd, &s, voucher, 30_000)).await;
    let expires = app
        .get(&format!("/api/v1/vouchers/{voucher}"), &t)
        .await
        .body["expires_at"]
        .clone();
    let after = DateTime::parse_from_rfc3339(expires.as_str().unwrap())
        .unwrap()
        .to_utc()
        + Duration::seconds(1);
    let jobs = |now| instrument_booking::jobs::vouchers::run(&app.db, now).unwrap();
    assert_eq!(jobs(after - Duration::days(1)), 0, "not yet");
    assert_eq!(jobs(after), 1);
    assert_eq!(jobs(after), 0, "expired once");
    let v = app
        .get(&format!("/api/v1/vouchers/{voucher}"), &t)
        .await
        .body;
    assert_eq!(
        (
            v["balance"]["expired"].as_i64(),
            v["balance"]["held"].as_i64()
        ),
        (Some(270_000), Some(30_000))
    );
    assert_eq!(v["usable"], false);
    // The held share is given back when the booking is cancelled, and expires with the voucher.
    let id = held.body["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        &t,
        json!({"reason": "no longer needed"}),
    )
    .await;
    let tail: Vec<(String, i64)> = ledger(&app, &t, voucher)
        .await
        .into_iter()
        .rev()
        .take(2)
        .map(|(m, a, ..)| (m, a))
        .collect();
    assert_eq!(
        tail,
        [
            ("expire".to_owned(), 30_000),
            ("release".to_owned(), 30_000)
        ]
    );
    assert_eq!(available(&app, &t, voucher).await, 0);
}

/// A hold in December released in January gives back to December's cap, not January's.
async fn a_release_counts_in_the_year_of_its_hold(app: TestApp) {
    use instrument_booking::db::vouchers as store;
    use instrument_booking::domain::ledger::{Entry, Movement};
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let voucher = acme_js_voucher(&app, &t).await;
    let s = slot(next_half_hour() + Duration::hours(24), 1);
    let made = book(&app, &t, paid_booking(xrd, &s, voucher, 30_000)).await;
    let booking = made.body["id"].as_i64().unwrap();
    let year = instrument_booking::vouchers::shanghai_year(Utc::now().naive_utc());
    let committed = |y: i32| {
        app.db
            .read_blocking(|c| {
                let v =
                    store::find_voucher(c, instrument_booking::domain::ids::VoucherId(voucher))?
                        .unwrap();
                instrument_booking::vouchers::committed_in_year(c, v.program_id, v.enterprise_id, y)
            })
            .unwrap()
    };
    assert_eq!(committed(year), 30_000);
    let release = Entry {
        movement: Movement::Release,
        amount: 30_000,
        claim: Some(instrument_booking::domain::ledger::Claim::Booking(booking)),
        reverses: None,
    };
    app.db
        .write_blocking(|c| {
            let line = store::Line {
                voucher,
                entry: &release,
                reverses_id: None,
                actor: None,
                reason: Some("released in the new year"),
                year: year + 1,
                at: (Utc::now() + Duration::days(400)).naive_utc(),
            };
            store::append(c, &line).map_err(ServiceError::from)
        })
        .unwrap();
    assert_eq!(committed(year), 0);
    assert_eq!(committed(year + 1), 0, "January's cap is not raised");
}

/// The limits the quote test does not reach: a provider province the programme does not accept,
/// an ineligible category, and a voucher past its expiry.
async fn every_other_limit_is_named(app: TestApp) {
    let (m, t, admin, issuer) = (
        app.login(MANAGER).await,
        app.login(BOOKER).await,
        app.login(ADMIN).await,
        app.login(JS_ISSUER).await,
    );
    let xrd = instrument(&app, &m, "auto").await;
    let acme = app.get("/api/v1/me", &t).await.body["organization_id"].clone();
    let grant = |program: Value| {
        json!({"program_id": program, "enterprise_id": acme, "amount_fen": 100_000,
            "expires_at": "2030-06-30T00:00:00+08:00"})
    };
    // A Jiangsu voucher good at Jiangsu providers only (an admin grants for any agency).
    let local = app
        .post(
            "/api/v1/voucher-programs",
            &issuer,
            json!({"code": "JS-LOCAL", "name_en": "Jiangsu local voucher", "name_zh": "江苏本地创新券",
                "kind": "innovation", "ratio_bps": 5000, "annual_cap_fen": 1_000_000,
                "valid_from": "2026-01-01", "valid_until": "2030-12-31", "accepted_provinces": ["JS"],
                "eligible_kinds": ["instrument"]}),
        )
        .await;
    let js_local = app
        .post("/api/v1/vouchers", &admin, grant(local.body["id"].clone()))
        .await;
    assert_eq!(js_local.status, StatusCode::CREATED, "{:?}", js_local.body);
    let s = slot(next_half_hour() + Duration::hours(24), 1);
    let limit = |q: Value| q["voucher"]["limited_by"].as_str().unwrap().to_owned();
    let local_id = js_local.body["id"].as_i64().unwrap();
    assert_eq!(
        limit(quote(&app, &t, xrd, &s, local_id).await),
        "provider_province_not_accepted"
    );
    let microscopy = app
        .post(
            "/api/v1/voucher-programs",
            &issuer,
            json!({"code": "JS-EM", "name_en": "Electron microscopy voucher", "name_zh": "电镜创新券",
                "kind": "innovation", "ratio_bps": 5000, "annual_cap_fen": 1_000_000,
                "valid_from": "2026-01-01", "valid_until": "2030-12-31", "accepted_provinces": ["SH"],
                "eligible_kinds": ["instrument"], "eligible_categories": ["microscopy"]}),
        )
        .await;
    let em = app
        .post(
            "/api/v1/vouchers",
            &issuer,
            grant(microscopy.body["id"].clone()),
        )
        .await;
    let em_id = em.body["id"].as_i64().unwrap();
    assert_eq!(
        limit(quote(&app, &t, xrd, &s, em_id).await),
        "ineligible_category"
    );

    let js = acme_js_voucher(&app, &t).await;
    let expires = app.get(&format!("/api/v1/vouchers/{js}"), &t).await.body["expires_at"].clone();
    let after = DateTime::parse_from_rfc3339(expires.as_str().unwrap())
        .unwrap()
        .to_utc();
    instrument_booking::jobs::vouchers::run(&app.db, after + Duration::seconds(1)).unwrap();
    let expired = quote(&app, &t, xrd, &s, js).await;
    assert_eq!(limit(expired.clone()), "voucher_not_usable");
    assert_eq!(expired["co_payment_fen"], expired["gross_fen"]);
}

async fn settlement_queries_say_what_to_fix(app: TestApp) {
    let m = app.login(MANAGER).await;
    let base = "/api/v1/settlements";
    for (query, status) in [
        ("", StatusCode::BAD_REQUEST),
        ("?from=2026-12-01", StatusCode::BAD_REQUEST),
        (
            "?from=2026-12-01&to=2026-11-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "?from=2026-01-01&to=2027-12-31",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "?from=2026-12-01&to=2026-12-31&format=xml",
            StatusCode::BAD_REQUEST,
        ),
        ("?from=2026-12-01&to=2026-12-31", StatusCode::OK),
    ] {
        let r = app.get(&format!("{base}{query}"), &m).await;
        assert_eq!(r.status, status, "{query}: {:?}", r.body);
    }
    let csv = app
        .request_with(
            Method::GET,
            &format!("{base}?from=2026-12-01&to=2026-12-31"),
            Some(&m),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    assert_eq!(
        csv.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        csv.body
            .as_str()
            .unwrap()
            .starts_with("\u{feff}entry_id,at,kind")
    );
}

on_both_backends!(
    every_other_limit_is_named,
    settlement_queries_say_what_to_fix,
    a_release_counts_in_the_year_of_its_hold,
    the_annual_cap_spans_an_enterprises_vouchers,
    after_expiry_nothing_can_be_spent
);
