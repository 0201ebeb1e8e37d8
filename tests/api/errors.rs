//! Bad requests of every kind get a problem+json answer that says what to fix.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

fn assert_problem(resp: &Response, status: StatusCode, code: &str) {
    assert_eq!(resp.status, status, "{:?}", resp.body);
    assert_eq!(
        resp.headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(resp.code(), code);
    assert_eq!(resp.body["status"], status.as_u16());
    assert!(!resp.body["detail"].as_str().unwrap().is_empty());
}

async fn malformed_and_mistyped_bodies(app: TestApp) {
    let admin = app.login(ADMIN).await;
    let broken = app
        .send_raw(
            Method::POST,
            "/api/v1/organizations",
            Some(&admin),
            "application/json",
            b"{\"kind\": ".to_vec(),
        )
        .await;
    assert_problem(&broken, StatusCode::BAD_REQUEST, "malformed_json");
    let wrong_type = app
        .post("/api/v1/api-tokens", &admin, json!({"name": 42}))
        .await;
    assert_problem(
        &wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    let bad_enum = app
        .post(
            "/api/v1/organizations",
            &admin,
            json!({"kind": "club", "name_en": "x", "name_zh": "x", "jurisdiction_code": "310100"}),
        )
        .await;
    assert_problem(&bad_enum, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        bad_enum.body["detail"]
            .as_str()
            .unwrap()
            .contains("institution"),
        "names the allowed values"
    );
    let unknown_field = app
        .post(
            "/api/v1/api-tokens",
            &admin,
            json!({"name": "x", "colour": "red"}),
        )
        .await;
    assert_problem(
        &unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    );
    let nul = app
        .post("/api/v1/api-tokens", &admin, json!({"name": "a\u{0}b"}))
        .await;
    assert_problem(&nul, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let nul_query = app.get("/api/v1/resources?q=a%00b", &admin).await;
    assert_problem(&nul_query, StatusCode::BAD_REQUEST, "invalid_query");
    let not_json = app
        .send_raw(
            Method::POST,
            "/api/v1/api-tokens",
            Some(&admin),
            "text/plain",
            b"name=x".to_vec(),
        )
        .await;
    assert_problem(
        &not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
}

async fn oversized_bodies_get_413(app: TestApp) {
    let admin = app.login(ADMIN).await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let resp = app
        .send_raw(
            Method::POST,
            "/api/v1/api-tokens",
            Some(&admin),
            "application/json",
            huge.into_bytes(),
        )
        .await;
    assert_problem(&resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

async fn unknown_routes_paths_and_methods(app: TestApp) {
    let t = app.login(BOOKER).await;
    assert_problem(
        &app.get("/api/v1/nothing-here", &t).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_problem(
        &app.get("/api/v1/resources/abc", &t).await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    );
    let delete = app
        .request(Method::DELETE, "/api/v1/resources/1", Some(&t), None)
        .await;
    assert_problem(
        &delete,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_eq!(delete.header("allow").as_deref(), Some("GET, PATCH, HEAD"));
}

async fn operations_endpoints(app: TestApp) {
    let health = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.body["status"], "ready");
    assert!(ready.header("x-request-id").is_some());
    let echoed = app
        .request_with(
            Method::GET,
            "/healthz",
            None,
            None,
            &[("X-Request-Id", "abc-123")],
        )
        .await;
    assert_eq!(echoed.header("x-request-id").as_deref(), Some("abc-123"));
    let metrics = app.request(Method::GET, "/metrics", None, None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"),
        "{text}"
    );
    let spec = app.request(Method::GET, "/openapi.yaml", None, None).await;
    assert!(spec.body.as_str().unwrap().starts_with("openapi: 3.1"));
}

on_both_backends!(
    malformed_and_mistyped_bodies,
    oversized_bodies_get_413,
    unknown_routes_paths_and_methods,
    operations_endpoints
);
