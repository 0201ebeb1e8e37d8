//! Computing allocations: a request priced with a voucher, approval for less with the voucher's
//! share held, usage imported (sacct's pipe-separated shape and JSON) drawing it down, bad lines,
//! a re-imported file, overage, the 80 % and 100 % alerts sent once, balance and burn rate, the
//! settlement of what the voucher paid, and the hold released when the allocation ends.

use actix_web::http::{Method, StatusCode};
use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::outbox as o;
use instrument_booking::error::ServiceError;

/// A Fudan GPU partition in Shanghai: 64 GPUs, 10 yuan a GPU-hour for enterprises.
pub(crate) async fn gpu_partition(app: &TestApp, manager: &str) -> i64 {
    let body = json!({"kind": "computing", "name_en": "Fudan GPU partition", "name_zh": "复旦GPU分区",
        "category": "computing", "original_value_cny": 20000000, "jurisdiction_code": "310100",
        "capacity": 64, "unit": "GPU", "approval_policy": "manual",
        "rates": {"internal": 200, "academic": 500, "enterprise": 1000}});
    let made = app.post("/api/v1/resources", manager, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

/// A Jiangsu computing voucher good at Shanghai providers, paying half, granted to Acme (a
/// Jiangsu enterprise): 10 000 yuan.
pub(crate) async fn computing_voucher(app: &TestApp, booker: &str) -> i64 {
    let issuer = app.login(JS_ISSUER).await;
    let programme = app
        .post("/api/v1/voucher-programs", &issuer, json!({
            "code": "JS-CP", "name_en": "Jiangsu computing voucher", "name_zh": "江苏算力券", "kind": "computing",
            "ratio_bps": 5000, "annual_cap_fen": 10_000_000, "valid_from": "2026-01-01", "valid_until": "2030-12-31",
            "accepted_provinces": ["SH"], "eligible_kinds": ["computing"]}))
        .await;
    assert_eq!(
        programme.status,
        StatusCode::CREATED,
        "{:?}",
        programme.body
    );
    let acme = app.get("/api/v1/me", booker).await.body["organization_id"].clone();
    let grant = json!({"program_id": programme.body["id"], "enterprise_id": acme, "amount_fen": 1_000_000,
        "expires_at": "2030-06-30T00:00:00+08:00"});
    let v = app.post("/api/v1/vouchers", &issuer, grant).await;
    assert_eq!(v.status, StatusCode::CREATED, "{:?}", v.body);
    v.body["id"].as_i64().unwrap()
}

fn shanghai_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// A request for `hours` GPU-hours from ten days ago to twenty days ahead.
pub(crate) fn request(
    resource: i64,
    account: &str,
    hours: i64,
    voucher: Option<(i64, i64)>,
) -> Value {
    let today = shanghai_today();
    let mut body = json!({"resource_id": resource, "project": "Protein folding at scale", "account": account,
        "unit_hours": hours, "starts_on": today - Duration::days(10), "ends_on": today + Duration::days(20)});
    if let Some((id, accepted)) = voucher {
        body["voucher_id"] = id.into();
        body["accepted_co_payment_fen"] = accepted.into();
    }
    body
}

/// A time as sacct prints it, in Shanghai.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// One sacct line: job, account, user, start, end (hours after `base`), GPUs, GPU-hours.
pub(crate) fn job(
    id: u32,
    account: &str,
    base: DateTime<Utc>,
    hours: (i64, i64),
    gpus: i64,
    gh: f64,
) -> String {
    let (s, e) = (
        base + Duration::hours(hours.0),
        base + Duration::hours(hours.1),
    );
    format!(
        "{id}|{account}|alice|{}|{}|{gpus}|{gh}\n",
        local(s),
        local(e)
    )
}

pub(crate) const HEADER: &str = "JobID|Account|User|Start|End|AllocGPUs|Unit_Hours\n";

pub(crate) async fn import(app: &TestApp, token: &str, resource: i64, csv: &str) -> Response {
    let path = format!("/api/v1/resources/{resource}/usage");
    app.send_raw(
        Method::POST,
        &path,
        Some(token),
        "text/csv",
        csv.as_bytes().to_vec(),
    )
    .await
}

/// (recipient, subject) of every allocation message, oldest first.
fn letters(app: &TestApp) -> Vec<(String, String)> {
    app.db
        .read_blocking(|c| {
            o::table
                .filter(o::kind.eq("allocation"))
                .order(o::id)
                .select((o::to_address, o::subject))
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

fn count(letters: &[(String, String)], words: &str) -> usize {
    letters.iter().filter(|(_, s)| s.contains(words)).count()
}

async fn balance(app: &TestApp, t: &str, voucher: i64) -> Value {
    app.get(&format!("/api/v1/vouchers/{voucher}"), t)
        .await
        .body["balance"]
        .clone()
}

async fn records(app: &TestApp, t: &str, allocation: i64) -> usize {
    app.list_all(&format!("/api/v1/allocations/{allocation}/usage"), t)
        .await
        .len()
}

async fn an_allocation_is_granted_drawn_down_and_paid_in_part_by_a_voucher(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let gpu = gpu_partition(&app, &m).await;
    let voucher = computing_voucher(&app, &t).await;

    // 1 000 GPU-hours at 10 yuan: 10 000 yuan, half from the voucher, as quoted. Accepting less
    // is refused with the fresh quote; nothing is held at request.
    let quote = app
        .get(
            &format!("/api/v1/resources/{gpu}/quote?unit_hours=1000&voucher_id={voucher}"),
            &t,
        )
        .await;
    assert_eq!(
        (
            quote.body["gross_fen"].as_i64(),
            quote.body["co_payment_fen"].as_i64()
        ),
        (Some(1_000_000), Some(500_000)),
        "{:?}",
        quote.body
    );
    let both = app
        .get(&format!("/api/v1/resources/{gpu}/quote?unit_hours=10&start=2030-01-01T00:00:00Z&end=2030-01-01T01:00:00Z"), &t)
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    let low = app
        .post(
            "/api/v1/allocations",
            &t,
            request(gpu, "fold-1", 1000, Some((voucher, 1))),
        )
        .await;
    assert_eq!(low.status, StatusCode::CONFLICT, "{:?}", low.body);
    assert_eq!(low.body["code"], "quote_changed");
    assert_eq!(low.body["quote"]["gross_fen"], 1_000_000);
    assert_eq!(low.body["quote"]["co_payment_fen"], 500_000);
    let asked = app
        .post(
            "/api/v1/allocations",
            &t,
            request(gpu, "fold-1", 1000, Some((voucher, 500_000))),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    assert_eq!(asked.body["state"], "pending");
    assert_eq!(asked.body["rate_fen_per_unit_hour"], 1000);
    let id = asked.body["id"].as_i64().unwrap();
    assert_eq!(
        count(&letters(&app), "New allocation request"),
        0,
        "Fudan's manager reads Chinese"
    );
    assert_eq!(count(&letters(&app), "新的机时配额申请"), 1);
    assert_eq!(balance(&app, &t, voucher).await["available"], 1_000_000);

    // The booker cannot approve; the manager grants 800 and the voucher's half of 8 000 yuan is held.
    let path = format!("/api/v1/allocations/{id}/approve");
    let denied = app.post(&path, &t, json!({"unit_hours": 800})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let too_much = app.post(&path, &m, json!({"unit_hours": 1001})).await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    let approved = app.post(&path, &m, json!({"unit_hours": 800})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["granted_unit_hours"], 800);
    assert_eq!(approved.body["voucher_share_fen"], 400_000);
    assert_eq!(balance(&app, &t, voucher).await["held"], 400_000);
    let again = app.post(&path, &m, json!({})).await;
    assert_eq!(again.body["code"], "invalid_state", "decided once");

    // Six days ago: two jobs, 400 and 240 GPU-hours, reach 80 % exactly.
    let base = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(6);
    let first = format!(
        "{HEADER}{}{}",
        job(1, "fold-1", base, (0, 50), 8, 400.0),
        job(2, "fold-1", base, (1, 31), 8, 240.0)
    );
    let done = import(&app, &m, gpu, &first).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(done.body["records"], 2);
    assert_eq!(
        done.body["allocations"][0],
        json!({"allocation_id": id, "records": 2, "unit_hours": 640.0, "overage_unit_hours": 0.0,
               "fee_fen": 640_000, "voucher_captured_fen": 320_000})
    );
    let after_first = letters(&app);
    assert_eq!(
        count(&after_first, "80%"),
        2,
        "the booker and Fudan's manager: {after_first:?}"
    );

    // The same file again is refused whole; a file with bad lines records nothing.
    let dup = import(&app, &m, gpu, &first).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{:?}", dup.body);
    assert_eq!(dup.body["code"], "duplicate_import");
    let bad = format!(
        "{HEADER}{}{}{}",
        job(5, "fold-1", base, (3, 2), 1, 1.0),
        job(6, "nobody", base, (0, 1), 1, 1.0),
        job(7, "fold-1", base, (0, 1), 1, 5.0),
    );
    let refused = import(&app, &m, gpu, &bad).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.body["code"], "import_failed");
    let lines: Vec<i64> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("before start")
    );
    assert!(
        refused.body["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("no approved allocation of account nobody")
    );
    assert!(
        refused.body["errors"][2]["message"]
            .as_str()
            .unwrap()
            .contains("more than 1 units")
    );
    assert_eq!(
        records(&app, &t, id).await,
        2,
        "nothing of the bad file was recorded"
    );

    // A second file repeats job 2 (skipped) and brings 200 GPU-hours: 160 within, 40 overage.
    let second = format!(
        "{HEADER}{}{}",
        job(2, "fold-1", base, (1, 31), 8, 240.0),
        job(3, "fold-1", base, (2, 52), 4, 200.0)
    );
    let done = import(&app, &m, gpu, &second).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(done.body["skipped_duplicates"], 1);
    assert_eq!(done.body["allocations"][0]["unit_hours"], 160.0);
    assert_eq!(done.body["allocations"][0]["overage_unit_hours"], 40.0);
    assert_eq!(
        done.body["allocations"][0]["voucher_captured_fen"], 80_000,
        "up to the hold"
    );

    // One more job through the API: all overage, charged, not paid by the voucher, no new alert.
    let (s, e) = (base + Duration::hours(3), base + Duration::hours(13));
    let posted = json!({"records": [{"job_id": "4", "account": "fold-1", "user": "bob",
        "start": s.to_rfc3339(), "end": e.to_rfc3339(), "units": 1, "unit_hours": 10}]});
    let done = app
        .post(&format!("/api/v1/resources/{gpu}/usage"), &m, posted)
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(done.body["allocations"][0]["overage_unit_hours"], 10.0);
    assert_eq!(done.body["allocations"][0]["voucher_captured_fen"], 0);
    let all = letters(&app);
    assert_eq!(count(&all, "80%"), 2, "80 % told once: {all:?}");
    assert_eq!(count(&all, "100%"), 2, "100 % told once: {all:?}");

    // Balance and burn rate: 850 GPU-hours over the last seven days.
    let got = app.get(&format!("/api/v1/allocations/{id}"), &t).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    assert_eq!(
        got.body["standing"],
        json!({"granted_unit_hours": 800, "used_unit_hours": 800.0, "overage_unit_hours": 50.0,
               "remaining_unit_hours": 0.0, "used_percent": 106.25,
               "burn_rate_unit_hours_per_day": 121.43, "projected_exhausted_on": null, "fee_fen": 850_000})
    );
    assert_eq!(got.body["voucher_captured_fen"], 400_000);
    assert_eq!(records(&app, &t, id).await, 4);
    let b = balance(&app, &t, voucher).await;
    assert_eq!(
        (b["held"].as_i64(), b["captured"].as_i64()),
        (Some(0), Some(400_000))
    );

    // What the voucher paid is on Jiangsu's settlement statement, named by allocation.
    let issuer = app.login(JS_ISSUER).await;
    let today = shanghai_today();
    let s = app
        .get(
            &format!("/api/v1/settlements?from={today}&to={today}"),
            &issuer,
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let lines = s.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["allocation_id"] == id && l["booking_id"].is_null())
    );
    assert_eq!(
        s.body["totals"],
        json!([{"issuer_province": "JS", "provider_province": "SH", "amount_fen": 400_000, "lines": 2}])
    );

    // Someone outside Acme and Fudan does not see it.
    let stranger = app.login(ISSUER).await;
    assert_eq!(
        app.get(&format!("/api/v1/allocations/{id}"), &stranger)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn an_allocation_ends_and_releases_what_its_voucher_still_holds(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let gpu = gpu_partition(&app, &m).await;
    let voucher = computing_voucher(&app, &t).await;
    let asked = app
        .post(
            "/api/v1/allocations",
            &t,
            request(gpu, "short-1", 100, Some((voucher, 50_000))),
        )
        .await;
    let id = asked.body["id"].as_i64().unwrap();
    let approved = app
        .post(&format!("/api/v1/allocations/{id}/approve"), &m, json!({}))
        .await;
    assert_eq!(
        approved.body["voucher_share_fen"], 50_000,
        "{:?}",
        approved.body
    );
    let base = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(2);
    let used = import(
        &app,
        &m,
        gpu,
        &format!("{HEADER}{}", job(9, "short-1", base, (0, 5), 2, 10.0)),
    )
    .await;
    assert_eq!(
        used.body["allocations"][0]["voucher_captured_fen"], 5_000,
        "{:?}",
        used.body
    );

    // Not before its last day and the grace for late accounting have passed.
    let last = shanghai_today() + Duration::days(20);
    let end = |days: i64| {
        let at = last.and_hms_opt(0, 0, 0).unwrap().and_utc() + Duration::days(days);
        instrument_booking::allocations::end_finished(&app.db, at, 100).unwrap()
    };
    assert_eq!(end(instrument_booking::allocations::GRACE_DAYS), 0);
    assert_eq!(end(instrument_booking::allocations::GRACE_DAYS + 1), 1);
    let got = app.get(&format!("/api/v1/allocations/{id}"), &t).await;
    assert_eq!(got.body["state"], "ended");
    let v = app
        .get(&format!("/api/v1/vouchers/{voucher}"), &t)
        .await
        .body["balance"]
        .clone();
    assert_eq!(
        (
            v["held"].as_i64(),
            v["captured"].as_i64(),
            v["available"].as_i64()
        ),
        (Some(0), Some(5_000), Some(995_000))
    );
    let ledger = app
        .list_all(&format!("/api/v1/vouchers/{voucher}/ledger"), &t)
        .await;
    let last_line = ledger.last().unwrap();
    assert_eq!(
        (
            last_line["movement"].as_str(),
            last_line["amount_fen"].as_i64()
        ),
        (Some("release"), Some(45_000))
    );
    assert_eq!(last_line["allocation_id"], id);
}

async fn requests_are_checked_and_decided_by_the_resources_staff(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let gpu = gpu_partition(&app, &m).await;
    // 64 GPUs over 31 days give at most 47 616 GPU-hours.
    let huge = app
        .post("/api/v1/allocations", &t, request(gpu, "big", 47_617, None))
        .await;
    assert_eq!(
        huge.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        huge.body
    );
    let mut bad = request(gpu, "no spaces please", 10, None);
    bad["project"] = "".into();
    let refused = app.post("/api/v1/allocations", &t, bad).await;
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["project", "account"]);
    let nmr = app.list_all("/api/v1/resources?kind=instrument", &t).await[0]["id"]
        .as_i64()
        .unwrap();
    let not_computing = app
        .post("/api/v1/allocations", &t, request(nmr, "x", 10, None))
        .await;
    assert_eq!(not_computing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post("/api/v1/allocations", &m, request(gpu, "x", 10, None))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "managers run resources; bookers request"
    );

    // Two requests for one account: the second cannot be approved while the first holds it.
    let a = app
        .post("/api/v1/allocations", &t, request(gpu, "shared", 10, None))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let b = app
        .post("/api/v1/allocations", &t, request(gpu, "shared", 20, None))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.post(&format!("/api/v1/allocations/{a}/approve"), &m, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let clash = app
        .post(&format!("/api/v1/allocations/{b}/approve"), &m, json!({}))
        .await;
    assert_eq!(clash.body["code"], "already_exists", "{:?}", clash.body);
    let rejected = app
        .post(
            &format!("/api/v1/allocations/{b}/reject"),
            &m,
            json!({"reason": "account in use"}),
        )
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    assert_eq!(
        count(&letters(&app), "机时配额未获批准"),
        1,
        "the booker is told, in Chinese"
    );
    let c = app
        .post("/api/v1/allocations", &t, request(gpu, "other", 5, None))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let withdrawn = app
        .post(&format!("/api/v1/allocations/{c}/cancel"), &t, json!({}))
        .await;
    assert_eq!(withdrawn.body["state"], "cancelled", "{:?}", withdrawn.body);
    for (id, action, reason) in [
        (b, "allocation.rejected", json!("account in use")),
        (c, "allocation.cancelled", Value::Null),
    ] {
        let path = format!("/api/v1/audit-events?subject_kind=allocation&subject_id={id}");
        let trail = app.list_all(&path, &m).await;
        assert_eq!(trail.len(), 1, "{trail:?}");
        assert_eq!(
            (&trail[0]["action"], &trail[0]["reason"]),
            (&json!(action), &reason)
        );
    }

    // Usage for a pending allocation, or posted by a booker, is refused.
    let d = app
        .post("/api/v1/allocations", &t, request(gpu, "later", 5, None))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let base = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(1);
    let early = import(
        &app,
        &m,
        gpu,
        &format!("{HEADER}{}", job(1, "later", base, (0, 1), 1, 1.0)),
    )
    .await;
    assert!(
        early.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("allocation {d} of account later is not approved")),
        "{:?}",
        early.body
    );
    let by_booker = import(
        &app,
        &t,
        gpu,
        &format!("{HEADER}{}", job(1, "shared", base, (0, 1), 1, 1.0)),
    )
    .await;
    assert_eq!(by_booker.status, StatusCode::FORBIDDEN);
    let listed = app
        .list_all(
            &format!("/api/v1/allocations?resource_id={gpu}&state=pending"),
            &m,
        )
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(app.list_all("/api/v1/allocations", &t).await.len(), 4);
}

/// Eight imports of 10 GPU-hours each at once, through two servers, against 50 granted: the
/// allocation is drawn down exactly once per job (50 within, 30 overage), the voucher pays no
/// more than it held, and each threshold is announced once.
async fn concurrent_imports_draw_an_allocation_down_once(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let gpu = gpu_partition(&app, &m).await;
    let voucher = computing_voucher(&app, &t).await;
    let asked = app
        .post(
            "/api/v1/allocations",
            &t,
            request(gpu, "race", 50, Some((voucher, 25_000))),
        )
        .await;
    let id = asked.body["id"].as_i64().unwrap();
    let approved = app
        .post(&format!("/api/v1/allocations/{id}/approve"), &m, json!({}))
        .await;
    assert_eq!(
        approved.body["voucher_share_fen"], 25_000,
        "{:?}",
        approved.body
    );
    let (second, _handle) = app.second_server();
    let start = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(1);
    let sends = (0..8).map(|i| {
        let body = json!({"records": [{"job_id": format!("race-{i}"), "account": "race", "user": "alice",
            "start": start.to_rfc3339(), "end": (start + Duration::hours(1)).to_rfc3339(), "units": 10, "unit_hours": 10}]});
        let server = if i % 2 == 0 { app.base.clone() } else { second.clone() };
        let (app, m, path) = (&app, m.clone(), format!("/api/v1/resources/{gpu}/usage"));
        async move { app.request_at(&server, Method::POST, &path, Some(&m), Some(body), &[]).await }
    });
    for answer in futures_util::future::join_all(sends).await {
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }
    let got = app.get(&format!("/api/v1/allocations/{id}"), &t).await;
    let s = &got.body["standing"];
    assert_eq!(
        (
            s["used_unit_hours"].as_f64(),
            s["overage_unit_hours"].as_f64(),
            s["fee_fen"].as_i64()
        ),
        (Some(50.0), Some(30.0), Some(80_000))
    );
    assert_eq!(
        got.body["voucher_captured_fen"], 25_000,
        "half of the 50 within, all it held"
    );
    let b = balance(&app, &t, voucher).await;
    assert_eq!(
        (b["held"].as_i64(), b["captured"].as_i64()),
        (Some(0), Some(25_000))
    );
    let all = letters(&app);
    assert_eq!((count(&all, "80%"), count(&all, "100%")), (2, 2), "{all:?}");
}

on_both_backends!(
    concurrent_imports_draw_an_allocation_down_once,
    an_allocation_is_granted_drawn_down_and_paid_in_part_by_a_voucher,
    an_allocation_ends_and_releases_what_its_voucher_still_holds,
    requests_are_checked_and_decided_by_the_resources_staff,
);
