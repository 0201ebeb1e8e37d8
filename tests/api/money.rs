//! Money that cannot overflow: rates are bounded so that any one fee fits, sums are checked, a
//! batch that would push an allocation's fees past what can be recorded is refused whole, and the
//! allocation's page and the reports answer on the largest figures the service accepts.

use actix_web::http::StatusCode;
use chrono::{Duration, DurationRound, Utc};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;

/// The most expensive computing resource the service accepts: a million units at the highest rate.
fn costliest(rate: i64) -> Value {
    json!({"kind": "computing", "name_en": "Costliest partition", "name_zh": "最贵分区", "category": "computing",
        "original_value_cny": 20000000, "jurisdiction_code": "310100", "capacity": 1_000_000, "unit": "core",
        "approval_policy": "manual", "rates": {"internal": rate, "academic": rate, "enterprise": rate}})
}

const MAX_RATE: i64 = 100_000_000;

/// An approved allocation of `hours` on `resource` for Acme, from 60 days ago to 10 days ahead.
async fn allocation(app: &TestApp, manager: &str, resource: i64, hours: i64) -> i64 {
    let t = app.login(BOOKER).await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let asked = app
        .post(
            "/api/v1/allocations",
            &t,
            json!({"resource_id": resource, "project": "Everything at once",
            "account": "huge", "unit_hours": hours, "starts_on": today - Duration::days(60),
            "ends_on": today + Duration::days(10)}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let id = asked.body["id"].as_i64().unwrap();
    let approved = app
        .post(
            &format!("/api/v1/allocations/{id}/approve"),
            manager,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    id
}

/// `n` finished jobs of a million cores, each `hours` long, ending at least a day ago.
fn jobs(prefix: &str, n: usize, hours: i64) -> Value {
    let end = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(1);
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"job_id": format!("{prefix}-{i}"), "account": "huge", "user": "alice",
            "start": (end - Duration::hours(hours)).to_rfc3339(), "end": end.to_rfc3339(),
            "units": 1_000_000, "unit_hours": 1_000_000 * hours})
        })
        .collect();
    json!({ "records": records })
}

async fn rates_beyond_the_bound_are_refused(app: TestApp) {
    let m = app.login(MANAGER).await;
    let resp = app
        .post("/api/v1/resources", &m, costliest(10_000_000_000))
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"rates.enterprise"), "{fields:?}");
    let ok = app.post("/api/v1/resources", &m, costliest(MAX_RATE)).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
}

async fn the_largest_figures_are_exact_and_reports_answer(app: TestApp) {
    let m = app.login(MANAGER).await;
    let made = app.post("/api/v1/resources", &m, costliest(MAX_RATE)).await;
    let resource = made.body["id"].as_i64().unwrap();
    let id = allocation(&app, &m, resource, 1_000_000_000).await;
    let path = format!("/api/v1/resources/{resource}/usage");

    // Twelve jobs of 10^8 core-hours at 10^8 fen each: 1.2 × 10^17 fen, exactly.
    let done = app.post(&path, &m, jobs("big", 12, 100)).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(
        done.body["allocations"][0]["fee_fen"],
        120_000_000_000_000_000_i64
    );
    let t = app.login(BOOKER).await;
    let page = app.get(&format!("/api/v1/allocations/{id}"), &t).await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);

    // A hundred jobs of 10^9 core-hours would pass i64: refused whole, nothing recorded.
    let over = app.post(&path, &m, jobs("huge", 100, 1000)).await;
    assert_eq!(
        over.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        over.body
    );
    assert_eq!(over.code(), "import_failed");
    let why = over.body["errors"][0]["message"].as_str().unwrap();
    assert!(why.starts_with("unit_hours"), "{why}");
    let after = app.get(&format!("/api/v1/allocations/{id}"), &t).await;
    assert_eq!(
        after.body["standing"], page.body["standing"],
        "nothing was recorded"
    );

    let (from, to) = (Utc::now() - Duration::days(40), Utc::now());
    let range = format!("from={}&to={}", from.date_naive(), to.date_naive());
    let admin = app.login(ADMIN).await;
    for report in ["sharing", "flows"] {
        let resp = app
            .get(&format!("/api/v1/reports/{report}?{range}"), &admin)
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{report}: {:?}", resp.body);
        assert!(no_negative_fen(&resp.body), "{report}: {}", resp.body);
    }
    let sharing = app
        .get(&format!("/api/v1/reports/sharing?{range}"), &admin)
        .await;
    let text = sharing.body.to_string();
    assert!(
        text.contains("120000000000000000"),
        "the income is reported exactly: {text}"
    );
}

/// Whether no `…_fen` member anywhere in `v` is below zero.
fn no_negative_fen(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().all(|(k, v)| {
            !(k.ends_with("_fen") && v.as_i64().is_some_and(|n| n < 0)) && no_negative_fen(v)
        }),
        Value::Array(items) => items.iter().all(no_negative_fen),
        _ => true,
    }
}

async fn quotes_are_exact_at_the_bounds(app: TestApp) {
    let m = app.login(MANAGER).await;
    let made = app.post("/api/v1/resources", &m, costliest(MAX_RATE)).await;
    let resource = made.body["id"].as_i64().unwrap();
    let t = app.login(BOOKER).await;
    let quote = app
        .get(
            &format!("/api/v1/resources/{resource}/quote?unit_hours=100000000"),
            &t,
        )
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(quote.body["gross_fen"], 10_000_000_000_000_000_i64);
}

on_both_backends!(
    rates_beyond_the_bound_are_refused,
    the_largest_figures_are_exact_and_reports_answer,
    quotes_are_exact_at_the_bounds
);
