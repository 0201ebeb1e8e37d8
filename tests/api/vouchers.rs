//! Vouchers so far: the demo programmes, the Suzhou enterprise's Jiangsu voucher and its ledger,
//! who sees what, and quotes with every limit the programme imposes.

use actix_web::http::StatusCode;
use diesel::RunQueryDsl;

use crate::bookings::{enc, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

async fn the_demo_enterprise_holds_a_jiangsu_voucher(app: TestApp) {
    let t = app.login(BOOKER).await;
    let programmes = app.list_all("/api/v1/voucher-programs", &t).await;
    let codes: Vec<&str> = programmes
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["SH-IV", "JS-IS", "ZJ-IV", "HZ-CV", "AH-IV"]);
    let mine = app.list_all("/api/v1/vouchers", &t).await;
    assert_eq!(mine.len(), 1);
    let v = &mine[0];
    assert_eq!(v["program"]["code"], "JS-IS");
    assert_eq!(v["balance"]["available"], 300_000);
    assert_eq!(v["usable"], true);
    let id = v["id"].as_i64().unwrap();
    let ledger = app.get(&format!("/api/v1/vouchers/{id}/ledger"), &t).await;
    assert_eq!(ledger.body["items"][0]["movement"], "grant");
    assert_eq!(ledger.body["items"][0]["amount_fen"], 300_000);
    for sql in [
        "UPDATE voucher_ledger SET amount_fen = 1",
        "DELETE FROM voucher_ledger",
    ] {
        let changed = app.db.write_blocking(|c| {
            diesel::sql_query(sql)
                .execute(c)
                .map_err(instrument_booking::error::ServiceError::from)
        });
        assert!(changed.is_err(), "the ledger is append-only: {sql}");
    }

    // The Shanghai issuer does not see a Jiangsu voucher; a manager sees no vouchers at all.
    let sh_issuer = app.login(ISSUER).await;
    assert!(
        app.list_all("/api/v1/vouchers", &sh_issuer)
            .await
            .is_empty()
    );
    assert_eq!(
        app.get(&format!("/api/v1/vouchers/{id}"), &sh_issuer)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let m = app.login(MANAGER).await;
    assert_eq!(
        app.get("/api/v1/vouchers", &m).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn quotes_split_the_fee_and_name_the_limit(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr800 = resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University").await;
    let voucher = app.list_all("/api/v1/vouchers", &t).await[0]["id"]
        .as_i64()
        .unwrap();
    let day = workday(5);
    let base = format!(
        "/api/v1/resources/{nmr800}/quote?start={}&end={}",
        enc(&sh(day, "09:00")),
        enc(&sh(day, "11:00"))
    );
    let plain = app.get(&base, &t).await;
    assert_eq!(plain.status, StatusCode::OK, "{:?}", plain.body);
    assert_eq!(plain.body["customer_category"], "enterprise");
    assert_eq!(plain.body["gross_fen"], 160_000, "2 h at 800 yuan");
    assert_eq!(plain.body["co_payment_fen"], 160_000);

    let with = app.get(&format!("{base}&voucher_id={voucher}"), &t).await;
    assert_eq!(with.body["voucher"]["share_fen"], 80_000);
    assert_eq!(with.body["voucher"]["limited_by"], "coverage_ratio");
    assert_eq!(with.body["co_payment_fen"], 80_000);

    let long = format!(
        "/api/v1/resources/{nmr800}/quote?start={}&end={}&voucher_id={voucher}",
        enc(&sh(day, "08:00")),
        enc(&sh(day, "18:00"))
    );
    let capped = app.get(&long, &t).await;
    assert_eq!(capped.body["gross_fen"], 800_000);
    assert_eq!(
        capped.body["voucher"]["share_fen"], 300_000,
        "no more than the balance"
    );
    assert_eq!(capped.body["voucher"]["limited_by"], "remaining_balance");

    let inspection = app
        .get(
            &format!("{base}&voucher_id={voucher}&purpose_kind=commercial_inspection"),
            &t,
        )
        .await;
    assert_eq!(inspection.body["voucher"]["share_fen"], 0);
    assert_eq!(
        inspection.body["voucher"]["limited_by"],
        "ineligible_purpose"
    );

    // Jiangsu's programme does not pay for computing.
    let gpu = resource_id(
        &app,
        &t,
        "Shanghai Supercomputer Center GPU partition",
        "Shanghai Supercomputer Center",
    )
    .await;
    let gpu_quote = format!(
        "/api/v1/resources/{gpu}/quote?start={}&end={}&quantity=8&voucher_id={voucher}",
        enc(&sh(day, "09:00")),
        enc(&sh(day, "10:00"))
    );
    let computing = app.get(&gpu_quote, &t).await;
    assert_eq!(computing.body["gross_fen"], 8 * 1500);
    assert_eq!(computing.body["voucher"]["limited_by"], "ineligible_kind");

    // An institution's own staff pay the internal rate.
    let m = app.login(MANAGER).await;
    assert_eq!(
        app.get(&base, &m).await.body["customer_category"],
        "internal"
    );
    let bad = app
        .get(
            &format!(
                "/api/v1/resources/{nmr800}/quote?start={}&end={}",
                enc(&sh(day, "11:00")),
                enc(&sh(day, "09:00"))
            ),
            &t,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let foreign = app.get(&format!("{base}&voucher_id=9999"), &t).await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.body["errors"][0]["field"], "voucher_id");
}

async fn an_issuer_grants_suspends_and_revokes(app: TestApp) {
    let issuer = app.login(JS_ISSUER).await;
    let t = app.login(BOOKER).await;
    let acme = app.get("/api/v1/me", &t).await.body["organization_id"]
        .as_i64()
        .unwrap();
    let programmes = app.list_all("/api/v1/voucher-programs", &t).await;
    let code = |c: &str| {
        programmes.iter().find(|p| p["code"] == c).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let grant = |program: i64, enterprise: i64| serde_json::json!({"program_id": program, "enterprise_id": enterprise, "amount_fen": 500_000, "expires_at": "2027-06-30T00:00:00+08:00"});
    let made = app
        .post("/api/v1/vouchers", &issuer, grant(code("JS-IS"), acme))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["balance"]["available"], 500_000);
    let id = made.body["id"].as_i64().unwrap();
    assert_eq!(app.list_all("/api/v1/vouchers", &t).await.len(), 2);
    let shanghai = app.login(ISSUER).await;
    assert_eq!(
        app.list_all("/api/v1/vouchers", &shanghai).await.len(),
        0,
        "an issuer sees its own programmes' vouchers only"
    );

    let not_theirs = app
        .post("/api/v1/vouchers", &issuer, grant(code("SH-IV"), acme))
        .await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN);
    // Shanghai's programme grants to Shanghai enterprises; Acme is registered in Jiangsu.
    let elsewhere = app
        .post("/api/v1/vouchers", &shanghai, grant(code("SH-IV"), acme))
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = elsewhere.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("registered in Jiangsu"), "{message}");
    let m = app.login(MANAGER).await;
    let fudan = app.get("/api/v1/me", &m).await.body["organization_id"]
        .as_i64()
        .unwrap();
    let to_institution = app
        .post("/api/v1/vouchers", &issuer, grant(code("JS-IS"), fudan))
        .await;
    assert_eq!(to_institution.body["errors"][0]["field"], "enterprise_id");
    assert_eq!(
        app.post("/api/v1/vouchers", &m, grant(code("JS-IS"), acme))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let nmr800 = resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University").await;
    let day = workday(5);
    let quote = format!(
        "/api/v1/resources/{nmr800}/quote?start={}&end={}&voucher_id={id}",
        enc(&sh(day, "09:00")),
        enc(&sh(day, "11:00"))
    );
    assert_eq!(
        app.get(&quote, &t).await.body["voucher"]["share_fen"],
        80_000
    );
    let suspended = app
        .post(
            &format!("/api/v1/vouchers/{id}/suspend"),
            &issuer,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(suspended.body["status"], "suspended");
    assert_eq!(
        app.get(&quote, &t).await.body["voucher"]["limited_by"],
        "voucher_not_usable"
    );
    let back = app
        .post(
            &format!("/api/v1/vouchers/{id}/reinstate"),
            &issuer,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(back.body["usable"], true);
    let revoked = app
        .post(
            &format!("/api/v1/vouchers/{id}/revoke"),
            &issuer,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(revoked.body["status"], "revoked");
    let again = app
        .post(
            &format!("/api/v1/vouchers/{id}/reinstate"),
            &issuer,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

async fn an_issuer_defines_a_programme(app: TestApp) {
    let issuer = app.login(ISSUER).await;
    let body = serde_json::json!({
        "code": "SH-AI", "name_en": "Shanghai AI compute voucher", "name_zh": "上海人工智能算力券",
        "kind": "computing", "ratio_bps": 3000, "annual_cap_fen": 50_000_000,
        "valid_from": "2027-01-01", "valid_until": "2027-12-31",
        "accepted_provinces": ["SH"], "eligible_kinds": ["computing"], "eligible_categories": ["computing"]
    });
    let made = app
        .post("/api/v1/voucher-programs", &issuer, body.clone())
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["issuer_province"], "SH");
    assert_eq!(
        made.body["eligible_categories"],
        serde_json::json!(["computing"])
    );
    assert_eq!(
        app.post("/api/v1/voucher-programs", &issuer, body.clone())
            .await
            .status,
        StatusCode::CONFLICT
    );
    let mut bad = body.clone();
    bad["code"] = serde_json::json!("sh ai");
    bad["ratio_bps"] = serde_json::json!(0);
    bad["valid_until"] = serde_json::json!("2026-01-01");
    let refused = app.post("/api/v1/voucher-programs", &issuer, bad).await;
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["code", "ratio_bps", "valid_until"]);
    let t = app.login(BOOKER).await;
    assert_eq!(
        app.post("/api/v1/voucher-programs", &t, body).await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_backends!(
    an_issuer_defines_a_programme,
    an_issuer_grants_suspends_and_revokes,
    the_demo_enterprise_holds_a_jiangsu_voucher,
    quotes_split_the_fee_and_name_the_limit
);
