//! HTTP as clients expect it: HEAD wherever GET is, challenges on 401, no caching of the
//! caller's answers, no sniffing, a locked-down SVG, problem types that resolve, and a body that
//! trickles in cut off with 408. (Every 201 naming its `Location` is checked by the harness on
//! every request of every test.)

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

async fn head_answers_wherever_get_does(app: TestApp) {
    let t = app.login(BOOKER).await;
    for path in [
        "/healthz",
        "/openapi.yaml",
        "/api/v1/me",
        "/api/v1/resources?limit=2",
    ] {
        let get = app.request(Method::GET, path, Some(&t), None).await;
        let head = app.request(Method::HEAD, path, Some(&t), None).await;
        assert_eq!(head.status, StatusCode::OK, "{path}");
        assert_eq!(head.body, serde_json::Value::Null, "{path}: no body");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
    }
    let wrong = app.request(Method::PUT, "/api/v1/me", Some(&t), None).await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.header("allow").unwrap(), "GET, PATCH, HEAD");
}

async fn headers_protect_the_callers_answers(app: TestApp) {
    let missing = app.request(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(
        missing
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let body = json!({"email": BOOKER, "password": PASSWORD});
    let token = app
        .request(Method::POST, "/api/v1/auth/token", None, Some(body))
        .await;
    assert_eq!(token.header("cache-control").as_deref(), Some("no-store"));
    let t = token.body["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", &t).await;
    assert_eq!(me.header("cache-control").as_deref(), Some("no-store"));
    for resp in [
        &me,
        &missing,
        &app.request(Method::GET, "/healthz", None, None).await,
    ] {
        assert_eq!(
            resp.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
    let m = app.login(MANAGER).await;
    let chart = app
        .get(
            "/api/v1/reports/charts/flows.svg?from=2026-01-01&to=2026-01-31",
            &m,
        )
        .await;
    assert_eq!(chart.status, StatusCode::OK);
    let policy = chart.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
}

async fn a_problems_type_resolves(app: TestApp) {
    let t = app.login(BOOKER).await;
    let bad = app.post("/api/v1/bookings", &t, json!({})).await;
    let kind = bad.body["type"].as_str().unwrap().to_owned();
    assert_eq!(kind, format!("/problems/{}", bad.code()));
    let page = app.request(Method::GET, &kind, None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let text = page.body.as_str().unwrap();
    assert!(text.contains(bad.code()) && text.contains("422"), "{text}");
    let unknown = app
        .request(Method::GET, "/problems/no_such_code", None, None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// Sends a head promising 100 bytes, then one byte a second; what the server answers, and how
/// long until it closed the connection.
fn trickle(base: &str, path: &str) -> (String, Duration) {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(900)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(15) {
        let _ = s.write_all(b" ");
        let mut buf = [0u8; 4096];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

async fn a_trickled_body_is_cut_off(app: TestApp) {
    let base = app.base.clone();
    let (answer, took) =
        actix_web::rt::task::spawn_blocking(move || trickle(&base, "/api/v1/auth/token"))
            .await
            .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(took < Duration::from_secs(8), "closed after {took:?}");
}

on_both_backends!(
    head_answers_wherever_get_does,
    headers_protect_the_callers_answers,
    a_problems_type_resolves,
    a_trickled_body_is_cut_off
);
