//! What a server reuses for a moment (a token's account check, a resource's view) and when a
//! change shows: at once through the server that made it, within the cache's lifetime (a second
//! in the tests) through another server on the same database.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

/// Past the test servers' cache lifetime.
const LATER: std::time::Duration = std::time::Duration::from_millis(1200);

async fn a_change_shows_at_once_here_and_within_the_lifetime_elsewhere(app: TestApp) {
    let (other, _handle) = app.second_server();
    let (m, b, admin) = (
        app.login(MANAGER).await,
        app.login(BOOKER).await,
        app.login(ADMIN).await,
    );
    let mine = app.list_all("/api/v1/resources?q=fudan", &m).await;
    let path = format!("/api/v1/resources/{}", mine[0]["id"]);
    let there = |token: String, path: String| {
        let (app, other) = (&app, other.clone());
        async move {
            app.request_at(&other, Method::GET, &path, Some(&token), None, &[])
                .await
        }
    };
    assert_eq!(there(b.clone(), path.clone()).await.status, StatusCode::OK);
    let etag = app.get(&path, &b).await.header("etag").unwrap();

    let renamed = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&m),
            Some(json!({"name_en": "Renamed instrument"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(
        app.get(&path, &b).await.body["name_en"],
        "Renamed instrument"
    );
    actix_web::rt::time::sleep(LATER).await;
    let seen = there(b.clone(), path.clone()).await;
    assert_eq!(seen.body["name_en"], "Renamed instrument");

    let me = app.get("/api/v1/me", &b).await;
    assert_eq!(
        there(b.clone(), "/api/v1/me".into()).await.status,
        StatusCode::OK
    );
    let gone = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{}", me.body["id"]),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    assert_eq!(
        app.get("/api/v1/me", &b).await.status,
        StatusCode::UNAUTHORIZED
    );
    actix_web::rt::time::sleep(LATER).await;
    let refused = there(b.clone(), "/api/v1/me".into()).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

on_both_backends!(a_change_shows_at_once_here_and_within_the_lifetime_elsewhere);
