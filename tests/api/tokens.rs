//! Access tokens and API tokens: what is accepted and what gets 401.

use actix_web::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

fn sign(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(exp_offset: i64, aud: &str) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "instrument-booking", "aud": aud, "sub": "1", "iat": now, "nbf": now, "exp": now + exp_offset, "ver": 0, "role": "admin", "org": null})
}

async fn login_and_read_me(app: TestApp) {
    let token = app.login(BOOKER).await;
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], BOOKER);
    assert_eq!(me.body["role"], "booker");
    assert_eq!(me.body["organization"]["kind"], "enterprise");
    let wrong = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": BOOKER, "password": "nope-nope-nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    let missing = app.request(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.code(), "missing_credentials");
}

async fn bad_tokens_get_401(app: TestApp) {
    let good = sign(claims(600, "instrument-booking-api"), SECRET);
    assert_eq!(
        app.get("/api/v1/me", &good).await.status,
        StatusCode::OK,
        "control: a well-formed token works"
    );

    let expired = sign(claims(-10, "instrument-booking-api"), SECRET);
    let wrong_audience = sign(claims(600, "some-other-api"), SECRET);
    let wrong_key = sign(
        claims(600, "instrument-booking-api"),
        "another-secret-0123456789abcdef0123",
    );
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut forged: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    forged["role"] = json!("admin");
    forged["sub"] = json!("2");
    let tampered = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(forged.to_string())
    );
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{payload}.");
    for (what, token) in [
        ("expired", expired),
        ("wrong audience", wrong_audience),
        ("wrong key", wrong_key),
        ("tampered", tampered),
        ("alg none", alg_none),
        ("garbage", "not-a-token".to_owned()),
    ] {
        let resp = app.get("/api/v1/me", &token).await;
        assert_eq!(resp.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(resp.code(), "invalid_token", "{what}");
    }
}

async fn revoked_api_token_stops_at_once(app: TestApp) {
    let jwt = app.login(BOOKER).await;
    let created = app
        .post("/api/v1/api-tokens", &jwt, json!({"name": "lims sync"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let token = created.body["token"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_i64().unwrap();
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], BOOKER);
    let listed = app.get("/api/v1/api-tokens", &jwt).await;
    assert_eq!(listed.body["items"][0]["name"], "lims sync");
    assert!(
        listed.body["items"][0].get("token").is_none(),
        "the secret is shown once only"
    );

    let other = app.login(MANAGER).await;
    let foreign = app
        .request(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "another user cannot revoke it"
    );

    let revoked = app
        .request(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{id}"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = app.get("/api/v1/me", &token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "invalid_token");
}

async fn expiring_api_token_is_validated(app: TestApp) {
    let jwt = app.login(BOOKER).await;
    let bad = app
        .post(
            "/api/v1/api-tokens",
            &jwt,
            json!({"name": "x", "expires_in_days": 0}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "expires_in_days");
    let too_long = app
        .post(
            "/api/v1/api-tokens",
            &jwt,
            json!({"name": "x", "expires_in_days": 30}),
        )
        .await;
    assert_eq!(
        too_long.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an hour's access token cannot make a month's API token"
    );
    assert_eq!(too_long.body["errors"][0]["field"], "expires_in_days");
    let ok = app
        .post(
            "/api/v1/api-tokens",
            &jwt,
            json!({"name": "x", "expires_in_days": 30, "password": PASSWORD}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    let expires: chrono::DateTime<chrono::Utc> =
        ok.body["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((29.9..=30.0).contains(&days), "{days}");
    let location = ok.header("location").unwrap();
    assert_eq!(location, format!("/api/v1/api-tokens/{}", ok.body["id"]));
    let wrong = app
        .post(
            "/api/v1/api-tokens",
            &jwt,
            json!({"name": "x", "expires_in_days": 30, "password": "not-my-password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.body["errors"][0]["field"], "password");
}

on_both_backends!(
    login_and_read_me,
    bad_tokens_get_401,
    revoked_api_token_stops_at_once,
    expiring_api_token_is_validated
);
