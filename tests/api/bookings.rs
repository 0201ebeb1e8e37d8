//! Booking through the API: availability, requests, refusals, idempotency, approvals, cancels,
//! the waitlist, history, and a partner facility in Europe/Berlin across both DST changes.

use actix_web::http::{Method, StatusCode};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;

/// A working day at least `days` ahead, on the Shanghai calendar.
pub fn workday(days: i64) -> NaiveDate {
    let mut d = (Utc::now() + Duration::hours(8)).date_naive() + Duration::days(days);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    d
}

/// `HH:MM` on `day` in Shanghai, as RFC 3339.
pub fn sh(day: NaiveDate, hm: &str) -> String {
    format!("{day}T{hm}:00+08:00")
}

pub async fn resource_id(app: &TestApp, token: &str, name_en: &str, institution: &str) -> i64 {
    let all = app.list_all("/api/v1/resources?limit=200", token).await;
    all.iter()
        .find(|r| r["name_en"] == name_en && r["institution"]["name_en"] == institution)
        .unwrap_or_else(|| panic!("{name_en} at {institution}"))["id"]
        .as_i64()
        .unwrap()
}

pub fn booking(resource: i64, start: &str, end: &str) -> Value {
    json!({"resource_id": resource, "start": start, "end": end, "purpose": "structure of a new catalyst"})
}

async fn nmr_nanjing(app: &TestApp, t: &str) -> i64 {
    resource_id(app, t, "600 MHz NMR spectrometer", "Nanjing University").await
}

async fn auto_resource_confirms_and_leaves_availability(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(3);
    let avail = app
        .get(
            &format!(
                "/api/v1/resources/{nmr}/availability?from={}&to={}&duration_min=120",
                enc(&sh(day, "00:00")),
                enc(&sh(day, "23:59"))
            ),
            &t,
        )
        .await;
    assert_eq!(avail.status, StatusCode::OK, "{:?}", avail.body);
    assert_eq!(
        avail.body["slots"],
        json!([{
            "start": format!("{day}T00:00:00Z"), "end": format!("{day}T12:00:00Z"),
            "start_local": format!("{day}T08:00:00+08:00"), "end_local": format!("{day}T20:00:00+08:00")
        }])
    );

    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "09:00"), &sh(day, "11:00")),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["state"], "confirmed");
    assert_eq!(made.body["start"], format!("{day}T01:00:00Z"));
    assert_eq!(made.body["start_local"], format!("{day}T09:00:00+08:00"));
    let id = made.body["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), &t).await.body["state"],
        "confirmed"
    );

    let after = app
        .get(
            &format!(
                "/api/v1/resources/{nmr}/availability?from={}&to={}",
                enc(&sh(day, "00:00")),
                enc(&sh(day, "23:59"))
            ),
            &t,
        )
        .await;
    let starts: Vec<&str> = after.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_local"].as_str().unwrap())
        .collect();
    let ends: Vec<&str> = after.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["end_local"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        vec![sh(day, "08:00").as_str(), sh(day, "11:00").as_str()]
    );
    assert_eq!(
        ends,
        vec![sh(day, "09:00").as_str(), sh(day, "20:00").as_str()]
    );

    // Every slot offered can be booked.
    for slot in after.body["slots"].as_array().unwrap() {
        let b = booking(
            nmr,
            slot["start"].as_str().unwrap(),
            slot["end"].as_str().unwrap(),
        );
        assert_eq!(
            app.post("/api/v1/bookings", &t, b).await.status,
            StatusCode::CREATED
        );
    }
    let history = app.get(&format!("/api/v1/bookings/{id}/history"), &t).await;
    assert_eq!(history.body["items"][0]["event"], "requested");
    assert_eq!(history.body["items"][0]["to_state"], "confirmed");

    let ics = app
        .get(&format!("/api/v1/bookings/{id}/calendar.ics"), &t)
        .await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(
        ics.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = ics.body.as_str().unwrap();
    let compact = day.format("%Y%m%d").to_string();
    assert!(
        text.contains(&format!("DTSTART:{compact}T010000Z\r\n")),
        "{text}"
    );
    assert!(text.contains(&format!("DTEND:{compact}T030000Z\r\n")));
    assert!(text.contains("STATUS:CONFIRMED") && text.contains("BEGIN:VEVENT"));
}

pub fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn a_taken_slot_is_409_with_conflicts_and_alternatives(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(3);
    assert_eq!(
        app.post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "09:00"), &sh(day, "11:00"))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let clash = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "10:00"), &sh(day, "12:00")),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(clash.code(), "slot_unavailable");
    assert_eq!(
        clash.body["conflicts"],
        json!([{"start": format!("{day}T01:00:00Z"), "end": format!("{day}T03:00:00Z")}])
    );
    assert!(
        !clash.body.to_string().contains("booker"),
        "no identities of other customers"
    );
    let alts = clash.body["alternatives"].as_array().unwrap();
    assert!(
        alts.iter()
            .any(|a| a["resource_id"] == nmr && a["start_local"] == sh(day, "11:00")),
        "{alts:?}"
    );
    let elsewhere: Vec<&Value> = alts.iter().filter(|a| a["resource_id"] != nmr).collect();
    assert!(
        !elsewhere.is_empty(),
        "equivalent NMRs elsewhere in the region"
    );
    for a in &alts[..] {
        let b = booking(
            a["resource_id"].as_i64().unwrap(),
            a["start"].as_str().unwrap(),
            a["end"].as_str().unwrap(),
        );
        assert_eq!(
            app.post("/api/v1/bookings", &t, b).await.status,
            StatusCode::CREATED,
            "alternative {a} is bookable"
        );
    }
}

async fn every_bad_request_gets_a_precise_answer(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(3);
    let yesterday = (Utc::now() + Duration::hours(8)).date_naive() - Duration::days(1);
    let cases = [
        (
            booking(nmr, &sh(day, "11:00"), &sh(day, "10:00")),
            "end",
            "after start",
        ),
        (
            booking(nmr, &sh(day, "09:10"), &sh(day, "10:10")),
            "start",
            "30-minute grid",
        ),
        (
            booking(nmr, &sh(day, "20:00"), &sh(day, "21:00")),
            "start",
            "opening hours",
        ),
        (
            booking(nmr, &sh(day, "08:00"), &sh(day, "21:00")),
            "end",
            "at most 720",
        ),
        (
            booking(nmr, &format!("{day}T09:00:00"), &sh(day, "10:00")),
            "start",
            "offset",
        ),
        (
            booking(nmr, &sh(workday(120), "09:00"), &sh(workday(120), "10:00")),
            "end",
            "advance",
        ),
        (
            json!({"resource_id": nmr, "start": sh(day, "09:00"), "end": sh(day, "10:00"), "purpose": "x", "quantity": 2}),
            "quantity",
            "capacity of 1",
        ),
        (
            json!({"resource_id": nmr, "start": sh(day, "09:00"), "end": sh(day, "10:00"), "purpose": " "}),
            "purpose",
            "1 to 500",
        ),
        (
            booking(99999, &sh(day, "09:00"), &sh(day, "10:00")),
            "resource_id",
            "does not exist",
        ),
        (
            booking(nmr, &sh(yesterday, "09:00"), &sh(yesterday, "10:00")),
            "start",
            "too soon",
        ),
    ];
    for (body, field, words) in cases {
        let resp = app.post("/api/v1/bookings", &t, body.clone()).await;
        assert_eq!(
            resp.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            resp.body
        );
        assert_eq!(
            resp.body["errors"][0]["field"], field,
            "{body}: {:?}",
            resp.body
        );
        let message = resp.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{body}: {message}");
    }
    let listed = app.get("/api/v1/bookings", &t).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );

    let m = app.login(MANAGER).await;
    let fudan = resource_id(
        &app,
        &m,
        "Orbitrap high-resolution LC-MS",
        "Fudan University",
    )
    .await;
    let retired = app
        .post(
            &format!("/api/v1/resources/{fudan}/retire"),
            &m,
            json!({"reason": "sold"}),
        )
        .await;
    assert_eq!(retired.status, StatusCode::OK);
    let resp = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(fudan, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.body["detail"].as_str().unwrap().contains("retired"));
}

async fn idempotency_key_replays_or_refuses(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(4);
    let body = booking(nmr, &sh(day, "09:00"), &sh(day, "10:00"));
    let key = [("Idempotency-Key", "order-7781")];
    let first = app
        .request_with(
            Method::POST,
            "/api/v1/bookings",
            Some(&t),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .request_with(
            Method::POST,
            "/api/v1/bookings",
            Some(&t),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.body, first.body,
        "the same key and body replay the first response"
    );
    let other = booking(nmr, &sh(day, "13:00"), &sh(day, "14:00"));
    let reused = app
        .request_with(
            Method::POST,
            "/api/v1/bookings",
            Some(&t),
            Some(other),
            &key,
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.code(), "idempotency_key_reused");
    let listed = app.get("/api/v1/bookings", &t).await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "one booking for one key"
    );
}

async fn manual_approval_by_the_operator(app: TestApp) {
    let t = app.login(BOOKER).await;
    let op = app.login(OPERATOR).await;
    let nmr800 = resource_id(&app, &t, "800 MHz NMR spectrometer", "Fudan University").await;
    let day = workday(5);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr800, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    assert_eq!(made.body["state"], "pending");
    assert!(made.body["pending_deadline"].is_string());
    let id = made.body["id"].as_i64().unwrap();
    // first_come: a pending request holds its slot.
    let second = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr800, &sh(day, "09:30"), &sh(day, "10:30")),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);

    let by_booker = app
        .post(&format!("/api/v1/bookings/{id}/approve"), &t, json!({}))
        .await;
    assert_eq!(by_booker.status, StatusCode::FORBIDDEN);
    let queue = app.get("/api/v1/bookings?state=pending", &op).await;
    assert_eq!(
        queue.body["items"][0]["id"], id,
        "the operator sees it in the queue"
    );
    let approved = app
        .post(&format!("/api/v1/bookings/{id}/approve"), &op, json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["state"], "confirmed");
    let twice = app
        .post(&format!("/api/v1/bookings/{id}/approve"), &op, json!({}))
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.code(), "invalid_state");
    let events = app.events(id, &t).await;
    assert_eq!(events, vec!["requested", "approved"]);

    let other_op = app.login(MANAGER).await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), &other_op)
            .await
            .status,
        StatusCode::OK,
        "the institution's manager sees it"
    );
    let issuer = app.login(ISSUER).await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"), &issuer)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn operator_choice_rejects_or_waitlists_competitors(app: TestApp) {
    let t = app.login(BOOKER).await;
    let admin = app.login(ADMIN).await;
    let beamline = resource_id(
        &app,
        &t,
        "SSRF beamline BL17U1 (macromolecular crystallography)",
        "Shanghai Advanced Research Institute CAS",
    )
    .await;
    let day = workday(10);
    let shift = booking(beamline, &sh(day, "08:00"), &sh(day, "16:00"));
    let a = app.post("/api/v1/bookings", &t, shift.clone()).await;
    let b = app.post("/api/v1/bookings", &t, shift.clone()).await;
    let mut waiting = shift.clone();
    waiting["waitlist"] = json!(true);
    let c = app.post("/api/v1/bookings", &t, waiting).await;
    for r in [&a, &b, &c] {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert_eq!(
            r.body["state"], "pending",
            "operator_choice: requests compete"
        );
    }
    let queue = app.get("/api/v1/approval-queue", &admin).await;
    assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.body);
    let first = &queue.body["items"][0];
    assert_eq!(first["booking"]["id"], a.body["id"]);
    let rivals: Vec<&Value> = first["competitors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(rivals, vec![&b.body["id"], &c.body["id"]]);
    assert_eq!(
        app.get("/api/v1/approval-queue", &t).await.status,
        StatusCode::FORBIDDEN
    );
    let approved = app
        .post(
            &format!("/api/v1/bookings/{}/approve", a.body["id"]),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let b_now = app
        .get(&format!("/api/v1/bookings/{}", b.body["id"]), &t)
        .await;
    assert_eq!(b_now.body["state"], "rejected");
    let c_now = app
        .get(&format!("/api/v1/bookings/{}", c.body["id"]), &t)
        .await;
    assert_eq!(c_now.body["state"], "waitlisted");
    let why = app
        .get(&format!("/api/v1/bookings/{}/history", b.body["id"]), &t)
        .await;
    assert!(
        why.body["items"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("another request")
    );

    // The approved booking is cancelled by staff: the waitlisted request moves on (manual: pending).
    let cancelled = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", a.body["id"]),
            &admin,
            json!({"reason": "beam time reallocated"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let c_then = app
        .get(&format!("/api/v1/bookings/{}", c.body["id"]), &t)
        .await;
    assert_eq!(c_then.body["state"], "pending");
}

async fn cancellation_respects_the_lead_time(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(4);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    let id = made.body["id"].as_i64().unwrap();
    let cancel = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &t,
            json!({"reason": "sample not ready"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK);
    assert_eq!(cancel.body["state"], "cancelled");
    let again = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &t,
            json!({"reason": "twice"}),
        )
        .await;
    assert_eq!(again.code(), "invalid_state");

    // Tomorrow is inside the 24-hour cancellation lead time... for a booking made within it.
    let m = app.login(MANAGER).await;
    let mut body = json!({"kind": "instrument", "name_en": "Benchtop XRD", "name_zh": "台式XRD", "category": "analytical",
        "original_value_cny": 900000, "jurisdiction_code": "310100", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"lead_time_min": 0, "cancel_lead_time_min": 10080}});
    body["booking_rules"]["granularity_min"] = json!(30);
    let xrd = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(xrd, &sh(workday(2), "09:00"), &sh(workday(2), "10:00")),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let late = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &t,
            json!({"reason": "changed plans"}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.body["detail"].as_str().unwrap().contains("too late"));
    let by_manager = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            &m,
            json!({"reason": "instrument fault"}),
        )
        .await;
    assert_eq!(by_manager.status, StatusCode::OK);
}

/// The servers answer at the time their clock says: a test stands a minute either side of a
/// booking's cancellation deadline without waiting for it.
async fn the_cancellation_deadline_is_judged_at_the_servers_time(app: TestApp) {
    let (t, m) = (app.login(BOOKER).await, app.login(MANAGER).await);
    let body = json!({"kind": "instrument", "name_en": "Benchtop XRD", "name_zh": "台式XRD",
        "category": "analytical", "original_value_cny": 900000, "jurisdiction_code": "310100",
        "approval_policy": "auto", "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"granularity_min": 30, "lead_time_min": 0, "cancel_lead_time_min": 1440}});
    let xrd = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let day = workday(5);
    let mut ids = Vec::new();
    for (from, to) in [("09:00", "10:00"), ("10:00", "11:00")] {
        let made = app
            .post(
                "/api/v1/bookings",
                &t,
                booking(xrd, &sh(day, from), &sh(day, to)),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        ids.push(made.body["id"].as_i64().unwrap());
    }
    let deadline = |start: &str| {
        chrono::DateTime::parse_from_rfc3339(start)
            .unwrap()
            .with_timezone(&Utc)
            - Duration::hours(24)
    };
    let cancel = |id: i64| {
        let (app, t) = (&app, &t);
        async move {
            app.post(
                &format!("/api/v1/bookings/{id}/cancel"),
                t,
                json!({"reason": "plans changed"}),
            )
            .await
        }
    };
    app.clock
        .set(deadline(&sh(day, "09:00")) - Duration::minutes(1));
    assert_eq!(cancel(ids[0]).await.body["state"], "cancelled");
    app.clock
        .set(deadline(&sh(day, "10:00")) + Duration::minutes(1));
    let late = cancel(ids[1]).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert!(late.body["detail"].as_str().unwrap().contains("too late"));
}

async fn waitlist_moves_on_when_space_frees(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(6);
    let first = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    let mut wait = booking(nmr, &sh(day, "09:00"), &sh(day, "10:00"));
    wait["waitlist"] = json!(true);
    let second = app.post("/api/v1/bookings", &t, wait).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body["state"], "waitlisted");
    let cancel = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", first.body["id"]),
            &t,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK);
    let moved = app
        .get(&format!("/api/v1/bookings/{}", second.body["id"]), &t)
        .await;
    assert_eq!(
        moved.body["state"], "confirmed",
        "auto-approval resource: straight to confirmed"
    );
}

async fn berlin_partner_facility_across_dst(app: TestApp) {
    let m = app.login(MANAGER).await;
    let t = app.login(BOOKER).await;
    let body = json!({"kind": "instrument", "name_en": "Partner Mössbauer spectrometer", "name_zh": "合作穆斯堡尔谱仪",
        "category": "analytical", "original_value_cny": 2000000, "jurisdiction_code": "310100",
        "timezone": "Europe/Berlin", "approval_policy": "auto", "rates": {"internal": 1, "academic": 2, "enterprise": 3},
        "booking_rules": {"granularity_min": 60, "advance_window_days": 700, "lead_time_min": 0}});
    let id = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let week = |y: i32, mo: u32, d: u32| NaiveDate::from_ymd_opt(y, mo, d).unwrap();
    // Spring 2027: clocks change on Sunday 28 March. Friday 26th opens 07:00Z, Monday 29th 06:00Z.
    for (day, open_utc, close_utc) in [
        (week(2027, 3, 26), "07:00", "19:00"),
        (week(2027, 3, 29), "06:00", "18:00"),
        (week(2027, 10, 29), "06:00", "18:00"),
        (week(2027, 11, 1), "07:00", "19:00"),
    ] {
        let url = format!(
            "/api/v1/resources/{id}/availability?from={day}T00%3A00%3A00Z&to={day}T23%3A59%3A00Z"
        );
        let avail = app.get(&url, &t).await;
        assert_eq!(avail.body["timezone"], "Europe/Berlin");
        let slot = &avail.body["slots"][0];
        assert_eq!(slot["start"], format!("{day}T{open_utc}:00Z"), "{day}");
        assert_eq!(slot["end"], format!("{day}T{close_utc}:00Z"), "{day}");
        assert!(
            slot["start_local"]
                .as_str()
                .unwrap()
                .contains("T08:00:00+0"),
            "08:00 local on {day}"
        );
        let start: chrono::DateTime<Utc> = slot["start"].as_str().unwrap().parse().unwrap();
        let end = (start + Duration::hours(2)).to_rfc3339();
        let made = app
            .post(
                "/api/v1/bookings",
                &t,
                booking(id, slot["start"].as_str().unwrap(), &end),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{day}: {:?}", made.body);
    }
    // 07:00 local on the Monday after the spring change is before opening, in Berlin terms.
    let early = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(id, "2027-03-29T05:00:00Z", "2027-03-29T06:00:00Z"),
        )
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("opening hours")
    );
}

async fn the_region_answers_which_nmr_is_free(app: TestApp) {
    let t = app.login(BOOKER).await;
    let day = workday(3);
    let url = format!(
        "/api/v1/availability?category=analytical&spec=field_mhz%3E%3D600&from={}&to={}&duration_min=120",
        enc(&sh(day, "08:00")),
        enc(&sh(day, "20:00"))
    );
    let found = app.get(&url, &t).await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    let items = found.body["items"].as_array().unwrap();
    let names: Vec<String> = items
        .iter()
        .map(|c| {
            format!(
                "{} | {}",
                c["resource"]["name_en"].as_str().unwrap(),
                c["resource"]["province"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        items
            .iter()
            .all(|c| c["slot"]["start_local"] == sh(day, "08:00")),
        "all free from opening"
    );
    // Book the Nanjing NMR's morning: it drops behind the others.
    let nanjing = nmr_nanjing(&app, &t).await;
    assert_eq!(
        app.post(
            "/api/v1/bookings",
            &t,
            booking(nanjing, &sh(day, "08:00"), &sh(day, "12:00"))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let again = app.get(&url, &t).await;
    let last = again.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["resource"]["id"], nanjing);
    assert_eq!(last["slot"]["start_local"], sh(day, "12:00"));
    let slot = &last["slot"];
    let b = booking(
        nanjing,
        slot["start"].as_str().unwrap(),
        slot["end"].as_str().unwrap(),
    );
    assert_eq!(
        app.post("/api/v1/bookings", &t, b).await.status,
        StatusCode::CREATED,
        "the slot offered is bookable"
    );
    let missing = app
        .get("/api/v1/availability?category=analytical", &t)
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

async fn a_blackout_over_bookings_lets_the_manager_choose(app: TestApp) {
    let t = app.login(BOOKER).await;
    let m = app.login(MANAGER).await;
    let orbitrap = resource_id(
        &app,
        &t,
        "Orbitrap high-resolution LC-MS",
        "Fudan University",
    )
    .await;
    let day = workday(6);
    let a = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(orbitrap, &sh(day, "09:00"), &sh(day, "10:00")),
        )
        .await;
    let b = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(orbitrap, &sh(day, "14:00"), &sh(day, "15:00")),
        )
        .await;
    let path = format!("/api/v1/resources/{orbitrap}/blackouts");
    let morning = json!({"start": sh(day, "08:00"), "end": sh(day, "12:00"), "reason": "detector replacement"});
    let asked = app.post(&path, &m, morning.clone()).await;
    assert_eq!(asked.status, StatusCode::CONFLICT);
    assert_eq!(asked.code(), "blackout_collides");
    assert_eq!(asked.body["bookings"][0]["booking_id"], a.body["id"]);
    assert!(
        app.get(&path, &m).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing written"
    );

    let mut cancel = morning.clone();
    cancel["collisions"] = json!("cancel");
    let done = app.post(&path, &m, cancel).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(done.body["collisions"][0]["action"], "cancelled");
    let a_now = app
        .get(&format!("/api/v1/bookings/{}", a.body["id"]), &t)
        .await;
    assert_eq!(a_now.body["state"], "cancelled");
    let why = app
        .get(&format!("/api/v1/bookings/{}/history", a.body["id"]), &t)
        .await;
    assert_eq!(why.body["items"][1]["reason"], "detector replacement");

    let afternoon = json!({"start": sh(day, "13:00"), "end": sh(day, "16:00"), "reason": "calibration", "collisions": "keep"});
    let kept = app.post(&path, &m, afternoon).await;
    assert_eq!(kept.body["collisions"][0]["action"], "kept");
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{}", b.body["id"]), &t)
            .await
            .body["state"],
        "confirmed"
    );
    let blocked = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(orbitrap, &sh(day, "10:00"), &sh(day, "11:00")),
        )
        .await;
    assert_eq!(
        blocked.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "new bookings stay out of blackouts"
    );
}

async fn a_weekly_series_reports_each_occurrence(app: TestApp) {
    let t = app.login(BOOKER).await;
    let nmr = nmr_nanjing(&app, &t).await;
    let day = workday(2);
    let week2 = day + Duration::days(7);
    let taken = app
        .post(
            "/api/v1/bookings",
            &t,
            booking(nmr, &sh(week2, "09:00"), &sh(week2, "10:00")),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CREATED);
    let mut body = booking(nmr, &sh(day, "09:00"), &sh(day, "10:00"));
    body["weeks"] = json!(4);
    let series = app.post("/api/v1/booking-series", &t, body.clone()).await;
    assert_eq!(series.status, StatusCode::CREATED, "{:?}", series.body);
    let results: Vec<&str> = series.body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, vec!["booked", "skipped", "booked", "booked"]);
    assert_eq!(series.body["occurrences"][1]["reason"], "the slot is taken");
    assert_eq!(
        series.body["occurrences"][1]["slot"]["start_local"],
        sh(week2, "09:00"),
        "a skipped occurrence names its own week"
    );
    assert_eq!(
        series.body["occurrences"][2]["slot"]["start_local"],
        sh(day + Duration::days(14), "09:00")
    );
    let id = series.body["series_id"].as_str().unwrap();
    assert_eq!(series.body["occurrences"][0]["booking"]["series_id"], id);

    body["waitlist"] = json!(true);
    body["start"] = json!(sh(week2, "09:00"));
    body["end"] = json!(sh(week2, "10:00"));
    body["weeks"] = json!(1);
    let waiting = app.post("/api/v1/booking-series", &t, body.clone()).await;
    assert_eq!(waiting.body["occurrences"][0]["result"], "waitlisted");
    // Every week taken and no waitlist: no series is made, and each week says why.
    body["waitlist"] = json!(false);
    body["weeks"] = json!(2);
    let none = app.post("/api/v1/booking-series", &t, body.clone()).await;
    assert_eq!(
        none.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        none.body
    );
    assert_eq!(none.body["occurrences"][0]["reason"], "the slot is taken");
    body["weeks"] = json!(60);
    assert_eq!(
        app.post("/api/v1/booking-series", &t, body).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// A resource's bookings between two times: every one that overlaps them, also one that began
/// long before, and none that ends where the period starts.
async fn a_resource_period_lists_every_booking_overlapping_it(app: TestApp) {
    use crate::voucher_payments::{instrument, next_half_hour};
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = instrument(&app, &m, "auto").await;
    let day = next_half_hour() + Duration::days(1);
    let book = |from: i64, minutes: i64| {
        let start = day + Duration::minutes(from);
        json!({"resource_id": xrd, "start": start.to_rfc3339(),
               "end": (start + Duration::minutes(minutes)).to_rfc3339(), "purpose": "diffraction"})
    };
    let mut ids = Vec::new();
    for (from, minutes) in [(0, 600), (600, 30), (1380, 60)] {
        let made = app.post("/api/v1/bookings", &t, book(from, minutes)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        ids.push(made.body["id"].clone());
    }
    let listed = |from: i64, to: i64| {
        let (app, m) = (&app, &m);
        let at = |min: i64| crate::bookings::enc(&(day + Duration::minutes(min)).to_rfc3339());
        let path = format!(
            "/api/v1/bookings?resource_id={xrd}&from={}&to={}",
            at(from),
            at(to)
        );
        async move {
            let items = app.list_all(&path, m).await;
            items.iter().map(|b| b["id"].clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(540, 615).await, [ids[0].clone(), ids[1].clone()]);
    assert_eq!(
        listed(30, 60).await,
        [ids[0].clone()],
        "begun nine hours before"
    );
    assert_eq!(
        listed(630, 700).await,
        Vec::<Value>::new(),
        "ended where the period starts"
    );
    assert_eq!(listed(0, 2000).await, ids);
}

on_both_backends!(
    a_resource_period_lists_every_booking_overlapping_it,
    a_weekly_series_reports_each_occurrence,
    a_blackout_over_bookings_lets_the_manager_choose,
    the_region_answers_which_nmr_is_free,
    auto_resource_confirms_and_leaves_availability,
    a_taken_slot_is_409_with_conflicts_and_alternatives,
    every_bad_request_gets_a_precise_answer,
    idempotency_key_replays_or_refuses,
    manual_approval_by_the_operator,
    operator_choice_rejects_or_waitlists_competitors,
    cancellation_respects_the_lead_time,
    the_cancellation_deadline_is_judged_at_the_servers_time,
    waitlist_moves_on_when_space_frees,
    berlin_partner_facility_across_dst
);
