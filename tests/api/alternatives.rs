//! Alternatives elsewhere: when the slot is taken on every equivalent resource, their nearest free
//! slots at other times; nothing offered from resources that cannot be compared; alternatives for
//! a request inside a blackout; and a regional search with several slots per resource, paged.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::bookings::{booking, enc, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

async fn nmr_hefei(app: &TestApp, t: &str) -> i64 {
    let ustc = "University of Science and Technology of China";
    resource_id(app, t, "600 MHz NMR spectrometer", ustc).await
}

async fn book(app: &TestApp, t: &str, id: i64, start: &str, end: &str) -> Response {
    app.post("/api/v1/bookings", t, booking(id, start, end))
        .await
}

async fn the_nearest_free_slot_elsewhere_when_the_same_slot_is_taken_everywhere(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nanjing = resource_id(&app, &t, "600 MHz NMR spectrometer", "Nanjing University").await;
    let hefei = nmr_hefei(&app, &t).await;
    let fudan = resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University").await;
    let day = workday(4);
    let (from, to) = (sh(day, "10:00"), sh(day, "12:00"));
    for id in [nanjing, hefei, fudan] {
        let made = book(&app, &t, id, &from, &to).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    }
    let clash = book(&app, &t, nanjing, &from, &to).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{:?}", clash.body);
    let alts = clash.body["alternatives"].as_array().unwrap();
    let elsewhere: Vec<&Value> = alts
        .iter()
        .filter(|a| a["resource_id"] != nanjing)
        .collect();
    assert!(!elsewhere.is_empty(), "{alts:?}");
    for a in &elsewhere {
        assert_ne!(
            a["start_local"], from,
            "the same slot is taken there too: {a}"
        );
    }
    let a = elsewhere[0];
    let taken = book(
        &app,
        &t,
        a["resource_id"].as_i64().unwrap(),
        a["start"].as_str().unwrap(),
        a["end"].as_str().unwrap(),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{a}: {:?}", taken.body);
}

async fn nothing_is_equivalent_to_a_resource_without_comparable_specs(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "instrument", "name_en": "Raman microscope", "name_zh": "拉曼显微镜",
        "category": "analytical", "original_value_cny": 1500000, "jurisdiction_code": "310100",
        "approval_policy": "auto", "specs": {"technique": "confocal Raman"},
        "rates": {"internal": 1000, "academic": 2000, "enterprise": 4000},
        "booking_rules": {"granularity_min": 30, "lead_time_min": 0}});
    let made = app.post("/api/v1/resources", &m, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let raman = made.body["id"].as_i64().unwrap();
    let day = workday(4);
    let (from, to) = (sh(day, "10:00"), sh(day, "11:00"));
    assert_eq!(
        book(&app, &t, raman, &from, &to).await.status,
        StatusCode::CREATED
    );
    let clash = book(&app, &t, raman, &from, &to).await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    let alts = clash.body["alternatives"].as_array().unwrap();
    assert!(!alts.is_empty(), "free time on the Raman itself");
    assert!(
        alts.iter().all(|a| a["resource_id"] == raman),
        "no NMR offered for a Raman microscope: {alts:?}"
    );
}

async fn a_request_inside_a_blackout_gets_alternatives(app: TestApp) {
    let (admin, t) = (app.login(ADMIN).await, app.login(BOOKER).await);
    let nanjing = resource_id(&app, &t, "600 MHz NMR spectrometer", "Nanjing University").await;
    let day = workday(4);
    let blackout =
        json!({"start": sh(day, "08:00"), "end": sh(day, "13:00"), "reason": "helium refill"});
    let path = format!("/api/v1/resources/{nanjing}/blackouts");
    let dark = app.post(&path, &admin, blackout).await;
    assert_eq!(dark.status, StatusCode::CREATED, "{:?}", dark.body);
    let refused = book(&app, &t, nanjing, &sh(day, "10:00"), &sh(day, "11:00")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("blackout")
    );
    let alts = refused.body["alternatives"].as_array().unwrap();
    let on = |id: i64, at: &str| {
        alts.iter()
            .any(|a| a["resource_id"] == id && a["start_local"] == sh(day, at))
    };
    assert!(on(nanjing, "13:00"), "after the blackout: {alts:?}");
    let hefei = nmr_hefei(&app, &t).await;
    assert!(on(hefei, "10:00"), "the same slot elsewhere: {alts:?}");
}

async fn region_search_lists_several_slots_per_resource_and_pages(app: TestApp) {
    let t = app.login(BOOKER).await;
    let day = workday(3);
    let base = format!(
        "/api/v1/availability?category=analytical&spec=field_mhz%3E%3D600&from={}&to={}&duration_min=120&slots=2&limit=1",
        enc(&sh(day, "08:00")),
        enc(&sh(day, "20:00"))
    );
    let mut seen = Vec::new();
    let mut url = base.clone();
    loop {
        let page = app.get(&url, &t).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{:?}", page.body);
        let slots = items[0]["slots"].as_array().unwrap();
        assert_eq!(slots.len(), 2);
        assert_eq!(items[0]["slot"], slots[0]);
        assert_eq!(
            slots[0]["end"], slots[1]["start"],
            "back to back, no overlap"
        );
        seen.push(items[0]["resource"]["id"].as_i64().unwrap());
        match page.body["next_cursor"].as_str() {
            Some(c) => url = format!("{base}&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3, "three NMRs of 600 MHz or more: {seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 3, "each once");
    let bad = app.get(&format!("{base}&cursor=bm9wZQ"), &t).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_cursor");
}

on_both_backends!(
    the_nearest_free_slot_elsewhere_when_the_same_slot_is_taken_everywhere,
    nothing_is_equivalent_to_a_resource_without_comparable_specs,
    a_request_inside_a_blackout_gets_alternatives,
    region_search_lists_several_slots_per_resource_and_pages
);
