//! Searching the regional catalogue.

use actix_web::http::StatusCode;

use crate::harness::*;
use crate::on_both_backends;

fn names(items: &[serde_json::Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["name_en"].as_str().unwrap().to_owned())
        .collect()
}

async fn booker_lists_all_28_demo_resources(app: TestApp) {
    let token = app.login(BOOKER).await;
    let first = app.get("/api/v1/resources?limit=200", &token).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 28);
    assert!(first.body["next_cursor"].is_null());

    let paged = app.list_all("/api/v1/resources?limit=5", &token).await;
    let mut ids: Vec<i64> = paged.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 28);
    ids.dedup();
    assert_eq!(ids.len(), 28, "pages neither repeat nor skip");
}

async fn filters_narrow_the_catalogue(app: TestApp) {
    let t = app.login(BOOKER).await;
    let computing = app.list_all("/api/v1/resources?kind=computing", &t).await;
    assert_eq!(computing.len(), 4);
    let anhui = app.list_all("/api/v1/resources?province=AH", &t).await;
    assert!(anhui.iter().all(|r| r["jurisdiction"]["province"] == "AH"));
    assert_eq!(anhui.len(), 6);
    let analytical = app
        .list_all("/api/v1/resources?category=analytical&province=SH", &t)
        .await;
    assert_eq!(names(&analytical).len(), 3, "{:?}", names(&analytical));
    let expensive = app
        .list_all("/api/v1/resources?min_value_cny=500000000", &t)
        .await;
    assert!(
        expensive
            .iter()
            .all(|r| r["original_value_cny"].as_i64().unwrap() >= 500_000_000)
    );
    assert_eq!(expensive.len(), 3);
    // Suzhou includes the county-level city of Kunshan.
    let suzhou = app
        .list_all("/api/v1/resources?city=Suzhou&province=JS", &t)
        .await;
    assert_eq!(suzhou.len(), 2, "{:?}", names(&suzhou));
    let kunshan = app
        .list_all("/api/v1/resources?city=%E6%98%86%E5%B1%B1", &t)
        .await;
    assert_eq!(kunshan.len(), 1);
}

async fn free_text_and_specs_search(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = app.list_all("/api/v1/resources?q=NMR", &t).await;
    assert_eq!(nmr.len(), 3);
    let zh = app
        .list_all(
            "/api/v1/resources?q=%E6%A0%B8%E7%A3%81%E5%85%B1%E6%8C%AF",
            &t,
        )
        .await;
    assert_eq!(zh.len(), 3, "核磁共振 finds the same NMRs");
    let by_institution = app.list_all("/api/v1/resources?q=fudan", &t).await;
    assert_eq!(by_institution.len(), 2);
    let two_terms = app
        .list_all("/api/v1/resources?q=nmr%20cryoprobe", &t)
        .await;
    assert_eq!(names(&two_terms), vec!["800 MHz NMR spectrometer"]);
    let strong = app
        .list_all("/api/v1/resources?spec=field_mhz%3E%3D600", &t)
        .await;
    assert_eq!(strong.len(), 3);
    let only_800 = app
        .list_all(
            "/api/v1/resources?spec=field_mhz%3E600&spec=field_mhz%3C%3D800",
            &t,
        )
        .await;
    assert_eq!(names(&only_800), vec!["800 MHz NMR spectrometer"]);
    let wildcard = app.list_all("/api/v1/resources?q=%25", &t).await;
    assert!(wildcard.is_empty(), "LIKE wildcards are matched literally");
    let bad = app
        .get("/api/v1/resources?spec=field_mhz%3E%3Dlots", &t)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_query");
}

async fn bad_list_queries_are_400(app: TestApp) {
    let t = app.login(BOOKER).await;
    for query in [
        "limit=0",
        "limit=201",
        "limit=x",
        "kind=spaceship",
        "cursor=%21%21",
        "colour=red",
        "province=XX",
    ] {
        let resp = app.get(&format!("/api/v1/resources?{query}"), &t).await;
        assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            resp.headers.get("content-type").unwrap(),
            "application/problem+json"
        );
    }
}

async fn a_resource_has_an_etag(app: TestApp) {
    let t = app.login(BOOKER).await;
    let resp = app.get("/api/v1/resources/1", &t).await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(
        app.get("/api/v1/resources/9999", &t).await.status,
        StatusCode::NOT_FOUND
    );
}

on_both_backends!(
    booker_lists_all_28_demo_resources,
    filters_narrow_the_catalogue,
    free_text_and_specs_search,
    bad_list_queries_are_400,
    a_resource_has_an_etag
);
