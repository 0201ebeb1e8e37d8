//! Text other tenants see holds no control characters and no bidirectional overrides: names
//! stay on one line, prose (a booking's purpose, a reason) may break lines, and a CSV import
//! is held to the same rules as JSON.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

fn resource(name_en: &str) -> Value {
    json!({"kind": "instrument", "name_en": name_en, "name_zh": "拉曼显微镜", "category": "analytical",
        "original_value_cny": 1800000, "jurisdiction_code": "310100",
        "rates": {"internal": 3000, "academic": 6000, "enterprise": 12000}})
}

fn refused_field(resp: &Response, field: &str) {
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        resp.body
    );
    assert_eq!(resp.body["errors"][0]["field"], field, "{:?}", resp.body);
}

async fn names_refuse_controls_and_overrides(app: TestApp) {
    let m = app.login(MANAGER).await;
    for name in [
        "Raman\r\nApproved by the admin",
        "Raman\u{7}",
        "Raman \u{202E}exe.fdp",
        "\u{2066}Raman",
    ] {
        let resp = app.post("/api/v1/resources", &m, resource(name)).await;
        refused_field(&resp, "name_en");
    }
    let mut specs = resource("Raman microscope");
    specs["specs"] = json!({"vendor": "Horiba\u{1b}[31m"});
    refused_field(
        &app.post("/api/v1/resources", &m, specs).await,
        "specs.vendor",
    );
    let me = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&m),
            Some(json!({"display_name": "Li\nWei"})),
        )
        .await;
    refused_field(&me, "display_name");
    let admin = app.login(ADMIN).await;
    let org = json!({"kind": "enterprise", "name_en": "Acme\u{202D} Ltd", "name_zh": "某公司", "jurisdiction_code": "310100"});
    refused_field(
        &app.post("/api/v1/organizations", &admin, org).await,
        "name_en",
    );
    let made = app
        .post("/api/v1/resources", &m, resource("Raman microscope"))
        .await;
    assert_eq!(
        made.status,
        StatusCode::CREATED,
        "plain text passes: {:?}",
        made.body
    );
}

async fn prose_may_break_lines(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = resource_id(&app, &t, "600 MHz NMR spectrometer", "Nanjing University").await;
    let day = workday(5);
    let mut body = booking(nmr, &sh(day, "09:00"), &sh(day, "10:00"));
    body["purpose"] = json!("Structure of a catalyst.\r\nSamples: 3, dissolved in CDCl3.\tAsk Li.");
    let made = app.post("/api/v1/bookings", &t, body.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    body["purpose"] = json!("Catalyst \u{202E}");
    body["start"] = json!(sh(day, "11:00"));
    body["end"] = json!(sh(day, "12:00"));
    refused_field(&app.post("/api/v1/bookings", &t, body).await, "purpose");
}

async fn a_csv_import_is_held_to_the_same_rules(app: TestApp) {
    let m = app.login(MANAGER).await;
    let header = "kind,name_en,name_zh,institution_en,institution_zh,province,city,category,capacity,unit,granularity_min,timezone,rate_internal,rate_academic,rate_enterprise,value_cny,approval,conflict_policy,specs\n";
    let row = "instrument,\"TGA\r\nanalyser\",热重分析仪,Fudan University,复旦大学,SH,Shanghai,analytical,1,instrument,30,Asia/Shanghai,1000,2000,4000,800000,auto,first_come,\n";
    let resp = app
        .send_raw(
            Method::POST,
            "/api/v1/resources/import",
            Some(&m),
            "text/csv",
            format!("{header}{row}").into_bytes(),
        )
        .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        resp.body
    );
    assert_eq!(resp.code(), "import_failed");
}

on_both_backends!(
    names_refuse_controls_and_overrides,
    prose_may_break_lines,
    a_csv_import_is_held_to_the_same_rules
);
