//! Reads on a real PostgreSQL streaming replica (started by the test command with
//! `pg_basebackup -R`): the catalogue and availability come from a fresh replica, a user reads
//! their own writes, bookings are checked on the primary, and a replica that falls behind the
//! bound is skipped. Replay is paused on the replica to make its lag visible.

use std::time::Duration;

use actix_web::http::StatusCode;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::json;

use crate::bookings::{booking, enc, resource_id, sh, workday};
use crate::harness::*;

/// The replica serves every test database of the cluster: one test pauses it at a time.
static REPLICA: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const MAX_LAG: Duration = Duration::from_millis(3000);

/// Pauses the replica's replay of the primary's WAL, and resumes it when dropped.
struct Paused(PgConnection);

impl Paused {
    fn now() -> Paused {
        let mut conn = PgConnection::establish(&replica_admin_url()).unwrap();
        diesel::sql_query("SELECT pg_wal_replay_pause()")
            .execute(&mut conn)
            .unwrap();
        Paused(conn)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = diesel::sql_query("SELECT pg_wal_replay_resume()").execute(&mut self.0);
    }
}

fn raman() -> serde_json::Value {
    json!({
        "kind": "instrument", "name_en": "Raman microscope", "name_zh": "拉曼显微镜", "category": "analytical",
        "original_value_cny": 1800000, "jurisdiction_code": "310100", "location": "Jiangwan campus",
        "rates": {"internal": 3000, "academic": 6000, "enterprise": 12000}
    })
}

/// Start times of the free slots a caller is shown on `resource` on `day`.
async fn free_starts(
    app: &TestApp,
    token: &str,
    resource: i64,
    day: chrono::NaiveDate,
) -> Vec<String> {
    let path = format!(
        "/api/v1/resources/{resource}/availability?from={}&to={}",
        enc(&sh(day, "00:00")),
        enc(&sh(day, "23:59"))
    );
    let got = app.get(&path, token).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    got.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_local"].as_str().unwrap().to_owned())
        .collect()
}

/// A booker of the demo enterprise who only reads.
async fn second_booker(app: &TestApp) -> String {
    let admin = app.login(ADMIN).await;
    let acme = app
        .list_all("/api/v1/organizations?kind=enterprise", &admin)
        .await[0]["id"]
        .as_i64()
        .unwrap();
    let made = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "reader@acme.demo.test", "password": READER_PASSWORD, "role": "booker", "organization_id": acme, "locale": "en"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    app.login_with("reader@acme.demo.test", READER_PASSWORD)
        .await
}

const READER_PASSWORD: &str = "quiet lantern over the harbour";

#[actix_web::test]
async fn reads_go_to_a_fresh_replica_and_writes_and_their_checks_to_the_primary() {
    let _alone = REPLICA.lock().await;
    let app = TestApp::spawn_with_replica(MAX_LAG).await;
    let reader = second_booker(&app).await;
    let (manager, booker) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let nmr = resource_id(
        &app,
        &booker,
        "600 MHz NMR spectrometer",
        "Nanjing University",
    )
    .await;
    let day = workday(3);
    caught_up(&app.db).await;
    let paused = Paused::now();

    // A manager's new resource: they read it back; a reader who wrote nothing is served by the
    // replica, which has not replayed it.
    let created = app.post("/api/v1/resources", &manager, raman()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let raman = format!("/api/v1/resources/{}", created.body["id"]);
    assert_eq!(app.get(&raman, &manager).await.status, StatusCode::OK);
    assert_eq!(app.get(&raman, &reader).await.status, StatusCode::NOT_FOUND);

    // A booking is checked on the primary: the replica still shows the slot free to the reader,
    // whose booking of it is refused; the booker sees their own booking at once.
    let slot = booking(nmr, &sh(day, "09:00"), &sh(day, "11:00"));
    let made = app.post("/api/v1/bookings", &booker, slot.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let reader_view = free_starts(&app, &reader, nmr, day).await;
    assert_eq!(reader_view, vec![sh(day, "08:00")], "the replica's day");
    let clash = app.post("/api/v1/bookings", &reader, slot).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{:?}", clash.body);
    let booker_view = free_starts(&app, &booker, nmr, day).await;
    assert_eq!(booker_view, vec![sh(day, "08:00"), sh(day, "11:00")]);

    // Once the replica is further behind than the bound, nobody reads it.
    while app.db.replica_lags()[0].is_some_and(|lag| lag <= MAX_LAG) {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get(&raman, &reader).await.status, StatusCode::OK);
    assert_eq!(free_starts(&app, &reader, nmr, day).await, booker_view);

    drop(paused);
    caught_up(&app.db).await;
    assert_eq!(app.get(&raman, &reader).await.status, StatusCode::OK);
}
