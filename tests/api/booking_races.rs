//! The capacity invariant under concurrency: many clients, two servers on one database, and an
//! audit in SQL of what was stored.

use actix_web::http::{Method, StatusCode};
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::bookings::{booking, resource_id, sh, workday};
use crate::harness::*;
use crate::on_both_backends;

#[derive(QueryableByName, Debug)]
#[expect(
    dead_code,
    reason = "read through Debug in the audit's failure message"
)]
struct Overbooked {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// Independent of the application's checks: the peak of a resource's usage is at the start of
/// some blocking booking, so summing, at each such start, the bookings that cover it finds any
/// instant above capacity.
fn audit(app: &TestApp, resource: i64, capacity: i64) {
    let over: Vec<Overbooked> = app
        .db
        .read_blocking(|c| {
            diesel::sql_query(
                "SELECT a.id AS id, CAST(SUM(b.quantity) AS BIGINT) AS total FROM bookings a \
                 JOIN bookings b ON b.resource_id = a.resource_id AND b.blocking \
                   AND b.block_start <= a.block_start AND a.block_start < b.block_end \
                 WHERE a.resource_id = $1 AND a.blocking GROUP BY a.id HAVING SUM(b.quantity) > $2",
            )
            .bind::<BigInt, _>(resource)
            .bind::<BigInt, _>(capacity)
            .load(c)
            .map_err(instrument_booking::error::ServiceError::internal)
        })
        .unwrap();
    assert!(over.is_empty(), "capacity {capacity} exceeded: {over:?}");
}

/// Sends every body at once, alternating between the two servers.
async fn race(
    app: &TestApp,
    second: &str,
    token: &str,
    path: &str,
    bodies: Vec<Value>,
) -> Vec<StatusCode> {
    let sends = bodies.into_iter().enumerate().map(|(i, body)| {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second.to_owned()
        };
        async move {
            app.request_at(&base, Method::POST, path, Some(token), Some(body), &[])
                .await
                .status
        }
    });
    join_all(sends).await
}

async fn capacity_one_under_32_clients_on_two_servers(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = resource_id(&app, &t, "600 MHz NMR spectrometer", "Nanjing University").await;
    let (second, _handle) = app.second_server();
    let day = workday(7);
    let mut bodies = Vec::new();
    for client in 0..32 {
        let hour = 9 + client % 8;
        bodies.push(booking(
            nmr,
            &sh(day, &format!("{hour:02}:00")),
            &sh(day, &format!("{:02}:00", hour + 1)),
        ));
    }
    // Eight more that straddle two of those hours each.
    for hour in 9..17 {
        bodies.push(booking(
            nmr,
            &sh(day, &format!("{hour:02}:30")),
            &sh(day, &format!("{:02}:30", hour + 1)),
        ));
    }
    let statuses = race(&app, &second, &t, "/api/v1/bookings", bodies).await;
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    // Whole hours and straddlers race: each straddler that wins takes two hours' worth of whole
    // bookings away, so anywhere from 4 (straddlers only, every other half hour) to 9 can win.
    // What must hold is that the winners never overlap (the audit) and everyone has an answer.
    assert!(
        (4..=9).contains(&won),
        "between four and nine winners, none overlapping: {won}"
    );
    audit(&app, nmr, 1);
    // The eight whole hours went to exactly one client each, unless a straddler got there first.
    let mine = app
        .list_all(
            &format!("/api/v1/bookings?resource_id={nmr}&state=confirmed"),
            &t,
        )
        .await;
    assert_eq!(mine.len(), won);
}

async fn capacity_four_never_exceeded(app: TestApp) {
    let m = app.login(MANAGER).await;
    let t = app.login(BOOKER).await;
    let body = json!({"kind": "computing", "name_en": "GPU test partition", "name_zh": "GPU测试分区", "category": "computing",
        "original_value_cny": 5000000, "jurisdiction_code": "310100", "capacity": 4, "unit": "GPU", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3}, "booking_rules": {"granularity_min": 60, "lead_time_min": 0}});
    let gpu = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let (second, _handle) = app.second_server();
    let day = workday(7);
    let same: Vec<Value> = (0..32)
        .map(|_| booking(gpu, &sh(day, "10:00"), &sh(day, "12:00")))
        .collect();
    let statuses = race(&app, &second, &t, "/api/v1/bookings", same).await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        4,
        "{statuses:?}"
    );

    let mut staggered = Vec::new();
    for client in 0..32 {
        let start = 13 + client % 6;
        let mut b = booking(
            gpu,
            &sh(day, &format!("{start:02}:00")),
            &sh(day, &format!("{:02}:00", start + 2)),
        );
        b["quantity"] = json!(1 + client % 2);
        staggered.push(b);
    }
    let statuses = race(&app, &second, &t, "/api/v1/bookings", staggered).await;
    assert!(statuses.contains(&StatusCode::CREATED));
    assert!(statuses.contains(&StatusCode::CONFLICT));
    audit(&app, gpu, 4);

    // Capacity cannot drop below what is already booked ahead.
    let lower = app
        .request_with(
            Method::PATCH,
            &format!("/api/v1/resources/{gpu}"),
            Some(&m),
            Some(json!({"capacity": 2})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(lower.status, StatusCode::CONFLICT, "{:?}", lower.body);
    assert!(lower.body["detail"].as_str().unwrap().contains("4 units"));
    let higher = app
        .request_with(
            Method::PATCH,
            &format!("/api/v1/resources/{gpu}"),
            Some(&m),
            Some(json!({"capacity": 6})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(higher.status, StatusCode::OK);
}

async fn concurrent_approvals_of_competitors_have_one_winner(app: TestApp) {
    let t = app.login(BOOKER).await;
    let admin = app.login(ADMIN).await;
    let beamline = resource_id(
        &app,
        &t,
        "SSRF beamline BL17U1 (macromolecular crystallography)",
        "Shanghai Advanced Research Institute CAS",
    )
    .await;
    let (second, _handle) = app.second_server();
    let day = workday(12);
    let mut ids = Vec::new();
    for _ in 0..6 {
        let r = app
            .post(
                "/api/v1/bookings",
                &t,
                booking(beamline, &sh(day, "08:00"), &sh(day, "16:00")),
            )
            .await;
        assert_eq!(r.body["state"], "pending");
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let app = &app;
    let approvals = ids.iter().enumerate().map(|(i, id)| {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second.clone()
        };
        let path = format!("/api/v1/bookings/{id}/approve");
        let admin = admin.clone();
        async move {
            app.request_at(
                &base,
                Method::POST,
                &path,
                Some(&admin),
                Some(json!({})),
                &[],
            )
            .await
            .status
        }
    });
    let statuses = join_all(approvals).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT)
    );
    audit(app, beamline, 1);
    let confirmed = app
        .list_all(
            &format!("/api/v1/bookings?resource_id={beamline}&state=confirmed"),
            &t,
        )
        .await;
    assert_eq!(confirmed.len(), 1);
}

on_both_backends!(
    capacity_one_under_32_clients_on_two_servers,
    capacity_four_never_exceeded,
    concurrent_approvals_of_competitors_have_one_winner
);
