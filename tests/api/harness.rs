//! The test harness: every test gets its own server on port 0 and its own database (a SQLite file
//! or a fresh PostgreSQL database), loaded with the demo region and its typed users.

use std::net::TcpListener;

use actix_web::http::{Method, StatusCode};
use diesel::{Connection, PgConnection, RunQueryDsl};
use instrument_booking::app::{AppState, Application};
use instrument_booking::auth::TokenKeys;
use instrument_booking::db::Db;
use instrument_booking::domain::clock::Clock;
use instrument_booking::http::cache::ReadCache;
use instrument_booking::http::middleware::Metrics;
use serde_json::Value;

pub use instrument_booking::db::Backend;

pub const SECRET: &str = "test-secret-0123456789abcdef-0123456789";
pub const ADMIN: &str = "admin@demo.test";
pub const MANAGER: &str = "manager@fudan.demo.test";
pub const OPERATOR: &str = "operator@fudan.demo.test";
pub const BOOKER: &str = "booker@acme.demo.test";
pub const ISSUER: &str = "issuer@sh.demo.test";
/// The Jiangsu agency's issuer, whose programmes grant to Jiangsu enterprises such as the demo's.
pub const JS_ISSUER: &str = "issuer@js.demo.test";
pub const PASSWORD: &str = "demo-password";
/// The domain of the tests' sender address.
pub const MAIL_DOMAIN: &str = "booking.test";

/// The admin URL of the PostgreSQL server the test command started.
fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("TEST_POSTGRES_URL is not set: run scripts/test, which starts a private PostgreSQL")
    })
}

/// The admin URL of the streaming replica of that server, which the test command also started.
pub fn replica_admin_url() -> String {
    std::env::var("TEST_POSTGRES_REPLICA_URL").unwrap_or_else(|_| {
        panic!("TEST_POSTGRES_REPLICA_URL is not set: run scripts/test, which starts a replica")
    })
}

/// The replica's URL of the primary's database at `url`.
fn replica_of(url: &str) -> String {
    let name = url.rsplit_once('/').unwrap().1;
    let base = replica_admin_url();
    format!("{}/{name}", base.rsplit_once('/').unwrap().0)
}

/// Waits until the replica of `db` is fresh: within a tenth of a second of the primary.
pub async fn caught_up(db: &Db) {
    // Generous: the whole suite writes to the primary meanwhile, and the replica replays it all.
    for _ in 0..1500 {
        if db.replica_lags()[0].is_some_and(|lag| lag < std::time::Duration::from_millis(100)) {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the replica did not catch up with the primary within 30 s");
}

/// Owns a test database and removes it when the test ends.
enum Store {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin: String, name: String },
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { admin, name } = self
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The problem code of an error response.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub struct TestApp {
    pub base: String,
    /// The servers' clock: the system's until a test sets it.
    pub clock: Clock,
    /// The test's own database, for audits that bypass the API.
    pub db: Db,
    handle: actix_web::dev::ServerHandle,
    _store: Store,
    pub url: String,
}

/// The servers' webhook policy: deliveries to loopback, where the tests' receivers listen.
pub fn webhook_policy() -> instrument_booking::webhooks::Policy {
    instrument_booking::webhooks::Policy {
        sealer: instrument_booking::domain::seal::Sealer::derive(
            SECRET.as_bytes(),
            instrument_booking::webhooks::SEALING,
        ),
        allow_private: true,
    }
}

/// Starts a server process-alike on `db`: its own pool, port and workers.
fn serve(db: Db, workers: usize, clock: Clock) -> (String, actix_web::dev::ServerHandle) {
    let state = AppState {
        db,
        keys: TokenKeys::new(SECRET.as_bytes(), 3600).unwrap(),
        metrics: Metrics::new().unwrap(),
        outbox: Default::default(),
        clock,
        // Tests play clients at other addresses through X-Forwarded-For.
        trusted_proxies: vec![std::net::Ipv4Addr::LOCALHOST.into()],
        body_timeout: std::time::Duration::from_secs(2),
        mail_domain: MAIL_DOMAIN.into(),
        reads: ReadCache::new(std::time::Duration::from_secs(1)),
        webhooks: webhook_policy(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::build(state, listener, Some(workers)).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    actix_web::rt::spawn(app.run());
    (base, handle)
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, None).await
    }

    /// A server on PostgreSQL whose routed reads may go to the test command's streaming replica
    /// while it is within `max_lag` of the primary; returns once the replica has caught up.
    pub async fn spawn_with_replica(max_lag: std::time::Duration) -> TestApp {
        TestApp::spawn_with(Backend::Postgres, Some(max_lag)).await
    }

    async fn spawn_with(backend: Backend, replica_lag: Option<std::time::Duration>) -> TestApp {
        let (url, store) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
                (url, Store::Sqlite { _dir: dir })
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("ib_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn =
                    PgConnection::establish(&admin).expect("connect to the test PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap();
                let base = admin.rsplit_once('/').unwrap().0;
                (format!("{base}/{name}"), Store::Postgres { admin, name })
            }
        };
        let mut db = Db::open(&url, 8).expect("open test database");
        instrument_booking::demo::seed(&db).expect("seed demo data");
        if let Some(max_lag) = replica_lag {
            let replica = replica_of(&url);
            db.attach_replicas(std::slice::from_ref(&replica), max_lag, 4)
                .expect("attach the replica");
            caught_up(&db).await;
        }
        let clock = Clock::system();
        let (base, handle) = serve(db.clone(), 2, clock.clone());
        TestApp {
            base,
            clock,
            db,
            handle,
            _store: store,
            url,
        }
    }

    /// A second server on the same database, as a second replica would be: its own pool.
    pub fn second_server(&self) -> (String, actix_web::dev::ServerHandle) {
        let db = Db::open(&self.url, 8).expect("open the same database again");
        serve(db, 2, self.clock.clone())
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        self.request_with(method, path, token, body, &[]).await
    }

    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        self.request_at(&self.base, method, path, token, body, headers)
            .await
    }

    /// A request to any server of this test (see [`TestApp::second_server`]).
    pub async fn request_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        call(base, method, path, token, body, headers).await
    }

    /// Sends raw bytes with a content type, for malformed bodies and CSV uploads.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let client = awc::Client::default();
        let mut req = client
            .request(method, format!("{}{}", self.base, path))
            .insert_header(("Content-Type", content_type))
            .insert_header(("Accept-Language", "en"));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut resp = req.send_body(body).await.expect("request sent");
        finish(&mut resp).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// Signs in a demo user and returns the access token.
    pub async fn login(&self, email: &str) -> String {
        self.login_with(email, PASSWORD).await
    }

    /// Signs in with `password` and returns the access token.
    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let resp = self
            .request(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(
            resp.status,
            StatusCode::OK,
            "login {email}: {:?}",
            resp.body
        );
        resp.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Every item of a list, following cursors.
    pub async fn list_all(&self, path: &str, token: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next: Option<String> = None;
        loop {
            let url = match &next {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_owned(),
            };
            let resp = self.get(&url, token).await;
            assert_eq!(resp.status, StatusCode::OK, "{url}: {:?}", resp.body);
            items.extend(resp.body["items"].as_array().unwrap().iter().cloned());
            match resp.body["next_cursor"].as_str() {
                Some(c) => next = Some(c.to_owned()),
                None => return items,
            }
        }
    }
}

impl TestApp {
    /// The events of a booking's history, oldest first.
    pub async fn events(&self, booking: i64, token: &str) -> Vec<String> {
        let history = self
            .get(&format!("/api/v1/bookings/{booking}/history"), token)
            .await;
        assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
        history.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Opens resource `id` around the clock, every day of the week.
    pub async fn open_around_the_clock(&self, id: i64, manager: &str) {
        let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| serde_json::json!({"weekday": d, "start": "00:00", "end": "24:00"}))
            .collect();
        let path = format!("/api/v1/resources/{id}/opening-hours");
        let body = Some(serde_json::json!({ "weekly": weekly }));
        let hours = self.request(Method::PUT, &path, Some(manager), body).await;
        assert_eq!(hours.status, StatusCode::OK, "{:?}", hours.body);
    }

    /// The Message-ID the outbox row `id` goes out with, from a sender on `domain`.
    pub fn message_id(&self, id: i64, domain: &str) -> String {
        use diesel::prelude::*;
        use instrument_booking::db::schema::outbox as o;
        let key: Option<String> = self
            .db
            .read_blocking(move |c| {
                o::table
                    .find(id)
                    .select(o::message_key)
                    .first(c)
                    .map_err(instrument_booking::error::ServiceError::from)
            })
            .unwrap();
        format!(
            "Message-ID: <{}@{domain}>",
            key.expect("a queued message has a key")
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite).await).await
            }

            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::harness::TestApp::spawn($crate::harness::Backend::Postgres).await).await
            }
        }
    )+};
}

/// A request to the server at `base` (an in-process one or a server process).
pub async fn call(
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Response {
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .finish();
    // The suite reads English problems unless a test asks for another language; an empty
    // Accept-Language asks for none, leaving the user's own.
    let mut req = client
        .request(method, format!("{base}{path}"))
        .insert_header(("Accept-Language", "en"));
    if let Some(t) = token {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut resp = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .expect("request sent");
    finish(&mut resp).await
}

async fn finish<S>(resp: &mut awc::ClientResponse<S>) -> Response
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    let bytes = resp
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    if resp.status() == StatusCode::CREATED {
        assert!(
            resp.headers().contains_key("location"),
            "a 201 says where the new thing is: {body}"
        );
    }
    Response {
        status: resp.status(),
        headers: resp.headers().clone(),
        body,
    }
}
