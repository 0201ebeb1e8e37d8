//! Sign-in limits: a guesser is refused with 429 and Retry-After, the same for unknown accounts,
//! the account's owner elsewhere still signs in, and every refusal lifts when its window ends.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

async fn sign_in(app: &TestApp, email: &str, password: &str, from: &str) -> Response {
    let body = json!({"email": email, "password": password});
    app.request_with(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(body),
        &[("X-Forwarded-For", from)],
    )
    .await
}

fn throttled(resp: &Response) -> u64 {
    assert_eq!(
        resp.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        resp.body
    );
    assert_eq!(resp.code(), "too_many_attempts");
    let header: u64 = resp.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(resp.body["retry_after_seconds"], header);
    assert!((1..=900).contains(&header), "{header}");
    header
}

async fn the_fifty_first_guess_is_refused_even_when_right(app: TestApp) {
    let guesser = "198.51.100.7";
    let mut statuses = Vec::new();
    for i in 0..50 {
        let resp = sign_in(&app, BOOKER, &format!("guess-{i}-wrong"), guesser).await;
        statuses.push(resp.status.as_u16());
    }
    assert_eq!(statuses[..5], [401; 5], "five tries, then a wait");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    throttled(&sign_in(&app, BOOKER, PASSWORD, guesser).await);
    let owner = sign_in(&app, BOOKER, PASSWORD, "203.0.113.20").await;
    assert_eq!(
        owner.status,
        StatusCode::OK,
        "the owner elsewhere is not locked out"
    );

    let later = chrono::Utc::now() + chrono::Duration::minutes(16);
    app.clock.set(later);
    let after = sign_in(&app, BOOKER, PASSWORD, guesser).await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "the wait ends with its window"
    );
}

async fn unknown_accounts_are_throttled_alike(app: TestApp) {
    let from = "198.51.100.8";
    let (known, unknown) = ("operator@fudan.demo.test", "nobody@fudan.demo.test");
    for _ in 0..5 {
        sign_in(&app, known, "wrong-password-1", from).await;
        sign_in(&app, unknown, "wrong-password-1", from).await;
    }
    let a = sign_in(&app, known, "wrong-password-1", from).await;
    let b = sign_in(&app, unknown, "wrong-password-1", from).await;
    throttled(&a);
    throttled(&b);
    assert_eq!(
        a.body["detail"].as_str().map(|d| d.len()),
        b.body["detail"].as_str().map(|d| d.len())
    );
}

async fn one_address_spraying_accounts_is_stopped(app: TestApp) {
    let from = "198.51.100.9";
    for i in 0..20 {
        let resp = sign_in(
            &app,
            &format!("user{i}@spray.test"),
            "wrong-password-1",
            from,
        )
        .await;
        assert_eq!(resp.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    throttled(&sign_in(&app, MANAGER, PASSWORD, from).await);
    let elsewhere = sign_in(&app, MANAGER, PASSWORD, "203.0.113.21").await;
    assert_eq!(elsewhere.status, StatusCode::OK);
}

async fn many_addresses_on_one_account_are_slowed(app: TestApp) {
    for i in 0..50 {
        let resp = sign_in(
            &app,
            ISSUER,
            "wrong-password-1",
            &format!("10.9.{}.{}", i / 4, i % 4 + 1),
        )
        .await;
        assert_eq!(resp.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    throttled(&sign_in(&app, ISSUER, PASSWORD, "10.200.0.1").await);
    app.clock
        .set(chrono::Utc::now() + chrono::Duration::minutes(16));
    let lifted = sign_in(&app, ISSUER, PASSWORD, "10.200.0.1").await;
    assert_eq!(lifted.status, StatusCode::OK, "at most one window long");
}

async fn guessable_passwords_are_refused(app: TestApp) {
    let admin = app.login(ADMIN).await;
    let orgs = app
        .get("/api/v1/organizations?kind=enterprise", &admin)
        .await;
    let org = orgs.body["items"][0]["id"].as_i64().unwrap();
    for weak in ["aaaaaaaaaa", "password12", "1234567890ab"] {
        let resp = app
            .post("/api/v1/users", &admin, json!({"email": "new@acme.test", "password": weak, "role": "booker", "organization_id": org}))
            .await;
        assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert_eq!(resp.body["errors"][0]["field"], "password");
    }
    let strong = app
        .post("/api/v1/users", &admin, json!({"email": "new@acme.test", "password": "quiet-otter-harbour-52", "role": "booker", "organization_id": org}))
        .await;
    assert_eq!(strong.status, StatusCode::CREATED, "{:?}", strong.body);
}

on_both_backends!(
    the_fifty_first_guess_is_refused_even_when_right,
    unknown_accounts_are_throttled_alike,
    one_address_spraying_accounts_is_stopped,
    many_addresses_on_one_account_are_slowed,
    guessable_passwords_are_refused
);
