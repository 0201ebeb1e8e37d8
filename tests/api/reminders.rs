//! Reminders with an injected clock: once per booking, at the same local time the day before,
//! across the spring DST change in Europe/Berlin (23 hours before, not 24).

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::outbox as o;
use instrument_booking::db::schema::outbox_contents as oc;
use instrument_booking::error::ServiceError;
use instrument_booking::jobs::reminders;

async fn a_reminder_fires_once_at_the_local_time_the_day_before(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "computing", "name_en": "Partner HPC cluster", "name_zh": "合作高性能计算集群",
        "category": "computing", "original_value_cny": 9000000, "jurisdiction_code": "310100",
        "timezone": "Europe/Berlin", "capacity": 64, "unit": "node", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"granularity_min": 60, "advance_window_days": 700, "lead_time_min": 0}});
    let hpc = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    // Sunday 28 March 2027, 10:00 in Berlin: summer time (UTC+2) began at 02:00 that night.
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            json!({"resource_id": hpc, "start": "2027-03-28T10:00:00+02:00",
            "end": "2027-03-28T12:00:00+02:00", "purpose": "lattice QCD"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    // Saturday 10:00 in Berlin is still winter time (UTC+1): 09:00Z, 23 hours before the start.
    let due = at("2027-03-27T09:00:00Z");
    assert_eq!(
        reminders::run(&app.db, due - Duration::seconds(1)).unwrap(),
        0,
        "not yet"
    );
    assert_eq!(reminders::run(&app.db, due).unwrap(), 1);
    assert_eq!(
        reminders::run(&app.db, due + Duration::minutes(5)).unwrap(),
        0,
        "once"
    );
    let second = instrument_booking::db::Db::open(&app.url, 2).unwrap();
    assert_eq!(
        reminders::run(&second, due + Duration::hours(1)).unwrap(),
        0,
        "once, whoever runs it"
    );
    let text: Vec<String> = app
        .db
        .read_blocking(|c| {
            o::table
                .inner_join(oc::table)
                .filter(o::booking_id.eq(id))
                .filter(o::kind.eq("booking_reminder"))
                .select(oc::text_body)
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap();
    assert_eq!(text.len(), 1);
    assert!(
        text[0].contains("2027-03-28 10:00–12:00 (Europe/Berlin, UTC+02:00)"),
        "{}",
        text[0]
    );
    assert!(
        text[0].contains("提醒"),
        "the demo booker reads Chinese: {}",
        text[0]
    );
}

/// A resource's managers set a shorter lead; the job follows it.
async fn a_resource_sets_its_own_reminder_lead(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "computing", "name_en": "Fudan reminder nodes", "name_zh": "复旦提醒节点",
        "category": "computing", "original_value_cny": 1000000, "jurisdiction_code": "310100", "capacity": 8,
        "unit": "node", "approval_policy": "auto", "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"granularity_min": 60, "lead_time_min": 0}});
    let id = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/resources/{id}/reminder");
    assert_eq!(app.get(&path, &t).await.body["minutes_before"], 1440);
    let set = |who: String, minutes: i64| {
        let (app, path) = (&app, path.clone());
        async move {
            app.request(
                actix_web::http::Method::PUT,
                &path,
                Some(&who),
                Some(json!({"minutes_before": minutes})),
            )
            .await
        }
    };
    assert_eq!(set(t.clone(), 120).await.status, StatusCode::FORBIDDEN);
    let bad = set(m.clone(), 50_000).await;
    assert_eq!(bad.body["errors"][0]["field"], "minutes_before");
    let ok = set(m.clone(), 120).await;
    assert_eq!(
        (
            ok.body["minutes_before"].as_i64(),
            ok.body["default"].as_bool()
        ),
        (Some(120), Some(false))
    );
    let start = (Utc::now() + Duration::days(2))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            json!({"resource_id": id, "start": start.to_rfc3339(),
            "end": (start + Duration::hours(1)).to_rfc3339(), "purpose": "a short run"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let due = start - Duration::hours(2);
    assert_eq!(
        reminders::run(&app.db, due - Duration::seconds(1)).unwrap(),
        0
    );
    assert_eq!(reminders::run(&app.db, due).unwrap(), 1);
}

on_both_backends!(
    a_reminder_fires_once_at_the_local_time_the_day_before,
    a_resource_sets_its_own_reminder_lead
);
