//! Credentials follow the account: a deactivation, a role change or a password change ends the
//! tokens signed before it on the next request; API tokens always end, and never after the
//! credential that made them; `nbf`, `iat` and the token's claimed life are checked.

use actix_web::http::{Method, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;

async fn my_id(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/me", token).await.body["id"]
        .as_i64()
        .unwrap()
}

async fn patch_user(app: &TestApp, id: i64, body: Value) {
    let admin = app.login(ADMIN).await;
    let path = format!("/api/v1/users/{id}");
    let resp = app
        .request(Method::PATCH, &path, Some(&admin), Some(body))
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{:?}", resp.body);
}

async fn api_token(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = app.post("/api/v1/api-tokens", token, body).await;
    assert_eq!(resp.status, StatusCode::CREATED, "{:?}", resp.body);
    resp.body
}

fn refused(resp: &Response, what: &str) {
    assert_eq!(
        resp.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {:?}",
        resp.body
    );
    assert_eq!(resp.code(), "invalid_token", "{what}");
    let challenge = resp.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer "), "{what}: {challenge}");
}

async fn a_deactivated_users_tokens_stop_at_once(app: TestApp) {
    let jwt = app.login(BOOKER).await;
    let machine = api_token(&app, &jwt, json!({"name": "lims", "password": PASSWORD})).await;
    let machine = machine["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/bookings", &jwt).await.status,
        StatusCode::OK
    );
    patch_user(&app, my_id(&app, &jwt).await, json!({"active": false})).await;
    refused(&app.get("/api/v1/bookings", &jwt).await, "the JWT");
    refused(
        &app.get("/api/v1/bookings", &machine).await,
        "the API token",
    );
    let mint = app
        .post("/api/v1/api-tokens", &jwt, json!({"name": "x"}))
        .await;
    refused(&mint, "minting with the JWT");

    let admin = app.login(ADMIN).await;
    let path = format!("/api/v1/users/{}", my_id(&app, &admin).await);
    let own = app
        .request(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        own.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no admin locks themselves out"
    );
    assert_eq!(app.get("/api/v1/me", &admin).await.status, StatusCode::OK);
}

async fn a_demoted_managers_token_stops_at_once(app: TestApp) {
    let jwt = app.login(MANAGER).await;
    let resources = app.get("/api/v1/resources", &jwt).await;
    let id = resources.body["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/resources/{id}");
    let etag = app.get(&path, &jwt).await.header("etag").unwrap();
    patch_user(&app, my_id(&app, &jwt).await, json!({"role": "operator"})).await;
    let edit = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&jwt),
            Some(json!({"name_en": "Renamed by a former manager"})),
            &[("If-Match", &etag)],
        )
        .await;
    refused(&edit, "the manager's JWT after demotion");
    let fresh = app.login(MANAGER).await;
    let me = app.get("/api/v1/me", &fresh).await;
    assert_eq!(me.body["role"], "operator");
    let again = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&fresh),
            Some(json!({"name_en": "Renamed by a former manager"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{:?}", again.body);
}

async fn a_password_change_ends_tokens_and_api_tokens(app: TestApp) {
    let jwt = app.login(OPERATOR).await;
    let machine = api_token(&app, &jwt, json!({"name": "lims", "password": PASSWORD})).await;
    let machine = machine["token"].as_str().unwrap().to_owned();
    let changed = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&jwt),
            Some(json!({"password": "quiet-otter-harbour-52", "current_password": PASSWORD})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    refused(&app.get("/api/v1/me", &jwt).await, "the JWT");
    refused(&app.get("/api/v1/me", &machine).await, "the API token");
}

async fn an_api_token_cannot_outlive_its_maker(app: TestApp) {
    let jwt = app.login(BOOKER).await;
    let short = api_token(
        &app,
        &jwt,
        json!({"name": "a day", "expires_in_days": 1, "password": PASSWORD}),
    )
    .await;
    let short_token = short["token"].as_str().unwrap().to_owned();
    let longer = app
        .post(
            "/api/v1/api-tokens",
            &short_token,
            json!({"name": "b", "expires_in_days": 2}),
        )
        .await;
    assert_eq!(
        longer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        longer.body
    );
    assert_eq!(longer.body["errors"][0]["field"], "expires_in_days");
    let child = api_token(&app, &short_token, json!({"name": "b"})).await;
    assert_eq!(
        child["expires_at"], short["expires_at"],
        "it ends with its maker"
    );
    let from_jwt = api_token(&app, &jwt, json!({"name": "c"})).await;
    let ends: chrono::DateTime<chrono::Utc> =
        from_jwt["expires_at"].as_str().unwrap().parse().unwrap();
    let left = ends - chrono::Utc::now();
    assert!(
        left <= chrono::Duration::hours(1),
        "an hour's JWT makes an hour's token: {left}"
    );
    let forever = app
        .post(
            "/api/v1/api-tokens",
            &jwt,
            json!({"name": "d", "expires_in_days": 3650, "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        forever.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "at most a year"
    );
}

fn sign(claims: Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
}

async fn the_times_a_token_claims_are_checked(app: TestApp) {
    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, nbf: i64, exp: i64, ver: i64| {
        json!({"iss": "instrument-booking", "aud": "instrument-booking-api", "sub": "1",
               "iat": iat, "nbf": nbf, "exp": exp, "ver": ver, "role": "admin", "org": null})
    };
    let good = sign(claims(now, now, now + 600, 0));
    assert_eq!(
        app.get("/api/v1/me", &good).await.status,
        StatusCode::OK,
        "control"
    );
    for (what, token) in [
        ("not yet valid", sign(claims(now, now + 300, now + 900, 0))),
        (
            "issued in the future",
            sign(claims(now + 300, now, now + 900, 0)),
        ),
        (
            "claims a day's life",
            sign(claims(now, now, now + 86_400, 0)),
        ),
        (
            "signed at another version",
            sign(claims(now, now, now + 600, 7)),
        ),
        (
            "no nbf",
            sign(
                json!({"iss": "instrument-booking", "aud": "instrument-booking-api",
            "sub": "1", "iat": now, "exp": now + 600, "ver": 0, "role": "admin", "org": null}),
            ),
        ),
    ] {
        refused(&app.get("/api/v1/me", &token).await, what);
    }
    let lower = app
        .request_with(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("Authorization", &format!("bearer {good}"))],
        )
        .await;
    assert_eq!(
        lower.status,
        StatusCode::OK,
        "the scheme is case-insensitive"
    );
}

on_both_backends!(
    a_deactivated_users_tokens_stop_at_once,
    a_demoted_managers_token_stops_at_once,
    a_password_change_ends_tokens_and_api_tokens,
    an_api_token_cannot_outlive_its_maker,
    the_times_a_token_claims_are_checked
);
