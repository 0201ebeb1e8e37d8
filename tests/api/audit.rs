//! The audit trail: a rate edit and a voucher suspension each leave a record of who, when, what
//! before and after, and why; each reader sees their own part; nothing can rewrite it.

use actix_web::http::{Method, StatusCode};
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{acme_js_voucher, instrument};

async fn events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.list_all(&format!("/api/v1/audit-events?{query}"), token)
        .await
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me", token).await.body["id"].clone()
}

async fn a_rate_edit_is_recorded_before_and_after(app: TestApp) {
    let m = app.login(MANAGER).await;
    let xrd = instrument(&app, &m, "auto").await;
    let path = format!("/api/v1/resources/{xrd}");
    let patch = json!({"rates": {"enterprise": 65000}});
    let edited = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&m),
            Some(patch),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);

    let trail = events(&app, &m, &format!("subject_kind=resource&subject_id={xrd}")).await;
    let actions: Vec<&str> = trail
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "resource.created",
            "opening_hours.replaced",
            "resource.updated"
        ]
    );
    let update = &trail[2];
    assert_eq!(update["actor_id"], me(&app, &m).await);
    assert_eq!(update["before"]["rates"]["enterprise"], 60000);
    assert_eq!(update["after"]["rates"]["enterprise"], 65000);
    assert!(update["at"].is_string());

    // The demo catalogue's import is on the institution's trail too.
    let imported = events(&app, &m, "action=resource.imported").await;
    assert!(!imported.is_empty());
    assert!(
        imported
            .iter()
            .all(|e| e["organization_id"] == update["organization_id"])
    );

    let stranger = app.login(ISSUER).await;
    assert!(
        events(&app, &stranger, "subject_kind=resource")
            .await
            .is_empty()
    );
    let booker = app.login(BOOKER).await;
    let refused = app.get("/api/v1/audit-events", &booker).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

async fn a_voucher_suspension_is_recorded_with_its_reason(app: TestApp) {
    let (t, js) = (app.login(BOOKER).await, app.login(JS_ISSUER).await);
    let voucher = acme_js_voucher(&app, &t).await;
    let why = json!({"reason": "use under review"});
    let suspended = app
        .post(&format!("/api/v1/vouchers/{voucher}/suspend"), &js, why)
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{:?}", suspended.body);

    let trail = events(&app, &js, "action=voucher.suspended").await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    let e = &trail[0];
    assert_eq!(
        (&e["subject_kind"], &e["subject_id"]),
        (&json!("voucher"), &json!(voucher))
    );
    assert_eq!(e["before"]["status"], "active");
    assert_eq!(e["after"]["status"], "suspended");
    assert_eq!(e["reason"], "use under review");
    assert_eq!(e["actor_id"], me(&app, &js).await);
    let shanghai = app.login(ISSUER).await;
    assert!(
        events(&app, &shanghai, "action=voucher.suspended")
            .await
            .is_empty()
    );
    let m = app.login(MANAGER).await;
    assert!(events(&app, &m, "subject_kind=voucher").await.is_empty());
    let admin = app.login(ADMIN).await;
    assert_eq!(
        events(&app, &admin, "action=voucher.suspended").await.len(),
        1
    );

    let rewrite = app.db.write_blocking(|c| {
        diesel::sql_query("UPDATE audit_events SET reason = 'nothing happened'")
            .execute(c)
            .map_err(instrument_booking::error::ServiceError::from)
    });
    assert!(rewrite.is_err(), "the audit trail is append-only");
    let erase = app.db.write_blocking(|c| {
        diesel::sql_query("DELETE FROM audit_events")
            .execute(c)
            .map_err(instrument_booking::error::ServiceError::from)
    });
    assert!(erase.is_err(), "the audit trail is append-only");
}

async fn accounts_settings_and_programmes_are_recorded(app: TestApp) {
    let (admin, m, op) = (
        app.login(ADMIN).await,
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
    );
    let operator = me(&app, &op).await;
    let renamed = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{operator}"),
            Some(&admin),
            Some(json!({"display_name": "Operator Wang"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    // The operator's institution reads the change to its staff; the admin made it.
    let trail = events(
        &app,
        &m,
        &format!("subject_kind=user&subject_id={operator}"),
    )
    .await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["after"]["display_name"], "Operator Wang");
    assert_eq!(trail[0]["actor_id"], me(&app, &admin).await);
    assert!(!trail[0].to_string().contains("argon2"), "no password hash");

    let xrd = instrument(&app, &m, "auto").await;
    let rated = app
        .request(
            Method::PUT,
            &format!("/api/v1/resources/{xrd}/rated-hours"),
            Some(&m),
            Some(json!({"rated_hours_per_year": 2000})),
        )
        .await;
    assert_eq!(rated.status, StatusCode::OK, "{:?}", rated.body);
    let setting = events(&app, &m, "action=setting.changed").await;
    assert_eq!(setting[0]["after"]["rated_hours_per_year"], 2000);
    assert_eq!(setting[0]["before"]["default"], true);

    let issuer = app.login(JS_ISSUER).await;
    let programme = app
        .post("/api/v1/voucher-programs", &issuer, json!({
            "code": "JS-AUD", "name_en": "Audited voucher", "name_zh": "审计创新券", "kind": "innovation",
            "ratio_bps": 4000, "annual_cap_fen": 100_000, "valid_from": "2026-01-01", "valid_until": "2030-12-31",
            "accepted_provinces": ["SH"], "eligible_kinds": ["instrument"]}))
        .await;
    assert_eq!(
        programme.status,
        StatusCode::CREATED,
        "{:?}",
        programme.body
    );
    let made = events(&app, &issuer, "action=voucher_program.created").await;
    assert_eq!(made[0]["after"]["ratio_bps"], 4000);
    assert!(
        events(&app, &m, "action=voucher_program.created")
            .await
            .is_empty()
    );
}

on_both_backends!(
    a_rate_edit_is_recorded_before_and_after,
    a_voucher_suspension_is_recorded_with_its_reason,
    accounts_settings_and_programmes_are_recorded
);
