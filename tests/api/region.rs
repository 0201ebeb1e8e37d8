//! A fixture region for March 2026, every figure worked out by hand: four resources of two
//! institutions in two provinces (one a GPU partition drawn down by imported jobs) among the demo
//! catalogue's 28, with a blackout, a rated-hours setting, a use across the month's end, a no-show
//! and two cancellations. Every metric at every level, and both flow matrices, compared exactly on
//! both databases; a two-day period read from the uses themselves rather than monthly totals.
//!
//! March has 31 days: a resource rated 1 600 h a year has 1 600 × 60 × 44 640 / 525 600 = 8 153
//! rated minutes per unit (800 h: 4 076); a blackout of a tenth of the month takes 815.

use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::bookings::{sh, workday};
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::{blackouts as bl, bookings as b};
use instrument_booking::error::ServiceError;

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().naive_utc()
}

/// What happened to a booking in March, written as operators and jobs would have.
struct Past<'a> {
    booker: i64,
    organization: i64,
    start: &'a str,
    end: &'a str,
    state: &'a str,
    /// When it reached its state (a cancellation's time decides whether it was late).
    changed: &'a str,
    fee: Option<i64>,
    voucher: Option<(i64, i64)>,
}

/// Books a free future slot (so the booking is real), then rewrites it as a March booking.
async fn past(app: &TestApp, t: &str, resource: i64, hour: u32, p: Past<'_>) {
    let day = workday(6);
    let (s, e) = (format!("{hour:02}:00"), format!("{:02}:00", hour + 1));
    let made = app.post("/api/v1/bookings", t, json!({"resource_id": resource, "start": sh(day, &s), "end": sh(day, &e), "purpose": "fixture"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let done = p.state == "completed";
    let (start, end) = (at(p.start), at(p.end));
    let used = done.then(|| (end - start).num_minutes());
    app.db
        .write_blocking(|c| {
            diesel::update(b::table.find(id))
                .set((
                    b::booker_id.eq(p.booker),
                    b::organization_id.eq(p.organization),
                    b::state.eq(p.state),
                    (b::start_at.eq(start), b::end_at.eq(end)),
                    (b::block_start.eq(start), b::block_end.eq(end)),
                    b::check_in_at.eq(done.then_some(start)),
                    b::check_out_at.eq(done.then_some(end)),
                    b::used_unit_minutes.eq(used),
                    b::final_gross_fen.eq(p.fee),
                    b::voucher_id.eq(p.voucher.map(|v| v.0)),
                    b::final_voucher_fen.eq(p.voucher.map(|v| v.1)),
                    b::updated_at.eq(at(p.changed)),
                ))
                .execute(c)
                .map_err(ServiceError::from)
        })
        .unwrap();
}

async fn instrument(app: &TestApp, token: &str, body: Value) -> i64 {
    let mut body = body;
    body["kind"] = "instrument".into();
    body["category"] = "analytical".into();
    body["approval_policy"] = "auto".into();
    body["rates"] = json!({"internal": 1, "academic": 2, "enterprise": 3});
    body["booking_rules"] = json!({"lead_time_min": 0});
    let made = app.post("/api/v1/resources", token, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

fn row(report: &Value, key: &str) -> Value {
    let mut r = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}"))
        .clone();
    for k in ["name_en", "name_zh", "resources"] {
        r.as_object_mut().unwrap().remove(k);
    }
    r
}

#[allow(clippy::too_many_arguments)]
fn figures(
    key: &str,
    eff: f64,
    ext: f64,
    share: Value,
    rated: f64,
    util: f64,
    income: i64,
    people: (i64, i64),
    ends: (Value, Value),
) -> Value {
    json!({"key": key, "effective_hours": eff, "external_hours": ext, "sharing_rate": share, "rated_hours": rated,
        "utilisation": util, "service_income_fen": income, "users_served": people.0, "organizations_served": people.1,
        "no_show_rate": ends.0, "late_cancel_rate": ends.1, "service_orders": 0, "external_service_orders": 0,
        "samples_measured": 0, "service_order_income_fen": 0})
}

async fn a_fixture_region_by_hand(app: TestApp) {
    let (admin, m, t) = (
        app.login(ADMIN).await,
        app.login(MANAGER).await,
        app.login(BOOKER).await,
    );
    let me = |token: String| {
        let app = &app;
        async move { app.get("/api/v1/me", &token).await.body.clone() }
    };
    let (acme_user, fudan_user) = (me(t.clone()).await, me(m.clone()).await);
    let (acme, fudan) = (
        acme_user["organization_id"].as_i64().unwrap(),
        fudan_user["organization_id"].as_i64().unwrap(),
    );
    let orgs = app
        .list_all("/api/v1/organizations?limit=200", &admin)
        .await;
    let nju = orgs
        .iter()
        .find(|o| o["name_en"] == "Nanjing University")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let nju_user = app
        .post("/api/v1/users", &admin, json!({"email": "booker@nju.test", "password": "quiet-otter-harbour-52", "role": "booker", "organization_id": nju}))
        .await;
    assert_eq!(nju_user.status, StatusCode::CREATED, "{:?}", nju_user.body);
    let (u_acme, u_fudan, u_nju) = (
        acme_user["id"].as_i64().unwrap(),
        fudan_user["id"].as_i64().unwrap(),
        nju_user.body["id"].as_i64().unwrap(),
    );
    let voucher = app.list_all("/api/v1/vouchers", &t).await[0]["id"]
        .as_i64()
        .unwrap();

    // R1, R2: Fudan, Shanghai, worth 3 000 000 and 400 000 (large by Shanghai's threshold).
    let r1 = instrument(&app, &m, json!({"name_en": "Fixture R1", "name_zh": "夹具一", "original_value_cny": 3000000, "jurisdiction_code": "310100"})).await;
    let r2 = instrument(&app, &m, json!({"name_en": "Fixture R2", "name_zh": "夹具二", "original_value_cny": 400000, "jurisdiction_code": "310100"})).await;
    // R3: Nanjing University, worth 400 000 (not large nationally), rated 800 hours a year.
    let r3 = instrument(
        &app,
        &admin,
        json!({"name_en": "Fixture R3", "name_zh": "夹具三", "original_value_cny": 400000,
        "jurisdiction_code": "320100", "organization_id": nju}),
    )
    .await;
    let rated = app
        .request(
            Method::PUT,
            &format!("/api/v1/resources/{r3}/rated-hours"),
            Some(&admin),
            Some(json!({"rated_hours_per_year": 800})),
        )
        .await;
    assert_eq!(rated.status, StatusCode::OK, "{:?}", rated.body);

    // R1 is closed for 3.1 days, a tenth of March: 8 153 − 815 = 7 338 rated minutes.
    let admin_id = me(admin.clone()).await["id"].as_i64().unwrap();
    app.db
        .write_blocking(|c| {
            diesel::insert_into(bl::table)
                .values((
                    bl::resource_id.eq(r1),
                    bl::start_at.eq(at("2026-03-10T00:00:00+08:00")),
                    bl::end_at.eq(at("2026-03-13T02:24:00+08:00")),
                    bl::reason.eq("maintenance"),
                    bl::created_by.eq(admin_id),
                    bl::created_at.eq(at("2026-02-01T00:00:00Z")),
                ))
                .execute(c)
                .map_err(ServiceError::from)
        })
        .unwrap();

    let done = |booker, organization, start, end, fee, voucher| Past {
        booker,
        organization,
        start,
        end,
        state: "completed",
        changed: end,
        fee,
        voucher,
    };
    // R1: Fudan's own 3 h; Acme 2 h 30 min (half paid by its Jiangsu voucher); Acme again from
    // 23:00 on 31 March to 02:00 on 1 April (1 h in March; its fee belongs to April); a no-show;
    // a cancellation 2 h before the start (late) and one three days before (not late).
    past(
        &app,
        &t,
        r1,
        9,
        done(
            u_fudan,
            fudan,
            "2026-03-05T09:00:00+08:00",
            "2026-03-05T12:00:00+08:00",
            Some(60_000),
            None,
        ),
    )
    .await;
    past(
        &app,
        &t,
        r1,
        10,
        done(
            u_acme,
            acme,
            "2026-03-06T09:00:00+08:00",
            "2026-03-06T11:30:00+08:00",
            Some(200_000),
            Some((voucher, 100_000)),
        ),
    )
    .await;
    past(
        &app,
        &t,
        r1,
        11,
        done(
            u_acme,
            acme,
            "2026-03-31T23:00:00+08:00",
            "2026-04-01T02:00:00+08:00",
            Some(240_000),
            None,
        ),
    )
    .await;
    let no_show = Past {
        state: "no_show",
        fee: None,
        ..done(
            u_acme,
            acme,
            "2026-03-16T09:00:00+08:00",
            "2026-03-16T10:00:00+08:00",
            None,
            None,
        )
    };
    past(&app, &t, r1, 13, no_show).await;
    let late = Past {
        state: "cancelled",
        changed: "2026-03-17T07:00:00+08:00",
        fee: None,
        ..done(
            u_acme,
            acme,
            "2026-03-17T09:00:00+08:00",
            "2026-03-17T10:00:00+08:00",
            None,
            None,
        )
    };
    past(&app, &t, r1, 14, late).await;
    let early = Past {
        state: "cancelled",
        changed: "2026-03-15T09:00:00+08:00",
        fee: None,
        ..done(
            u_acme,
            acme,
            "2026-03-18T09:00:00+08:00",
            "2026-03-18T10:00:00+08:00",
            None,
            None,
        )
    };
    past(&app, &t, r1, 15, early).await;
    // R2: Nanjing University's user, 4 h. R3: Acme 2 h (voucher pays 250 yuan), NJU's own 1 h.
    past(
        &app,
        &t,
        r2,
        9,
        done(
            u_nju,
            nju,
            "2026-03-16T13:00:00+08:00",
            "2026-03-16T17:00:00+08:00",
            Some(80_000),
            None,
        ),
    )
    .await;
    past(
        &app,
        &t,
        r3,
        9,
        done(
            u_acme,
            acme,
            "2026-03-18T09:00:00+08:00",
            "2026-03-18T11:00:00+08:00",
            Some(50_000),
            Some((voucher, 25_000)),
        ),
    )
    .await;
    past(
        &app,
        &t,
        r3,
        10,
        done(
            u_nju,
            nju,
            "2026-03-18T14:00:00+08:00",
            "2026-03-18T15:00:00+08:00",
            Some(10_000),
            None,
        ),
    )
    .await;
    // Written around the server: an admin has its monthly totals rebuilt (a booker may not).
    let path = "/api/v1/admin/report-totals/rebuild";
    assert_eq!(
        app.post(path, &t, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let rebuilt = app.post(path, &admin, json!({})).await;
    assert_eq!(rebuilt.body["rebuilt"], true, "{:?}", rebuilt.body);

    // R4: a Fudan GPU partition (8 GPUs, 10 yuan a GPU-hour); Acme's allocation; two jobs
    // imported: alice 8 GPUs × 2 h, bob 4 GPUs × 3 h = 28 GPU-hours, 280 yuan.
    let gpu = app
        .post("/api/v1/resources", &m, json!({"kind": "computing", "name_en": "Fixture R4", "name_zh": "夹具四", "category": "computing",
            "original_value_cny": 20000000, "jurisdiction_code": "310100", "capacity": 8, "unit": "GPU", "approval_policy": "manual",
            "rates": {"internal": 200, "academic": 500, "enterprise": 1000}}))
        .await;
    let r4 = gpu.body["id"].as_i64().unwrap();
    let today = chrono::Utc::now().date_naive();
    let asked = app
        .post(
            "/api/v1/allocations",
            &t,
            json!({"resource_id": r4, "project": "fixture", "account": "fx", "unit_hours": 100,
            "starts_on": today, "ends_on": today + chrono::Duration::days(30)}),
        )
        .await;
    let allocation = asked.body["id"].as_i64().unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/allocations/{allocation}/approve"),
            &m,
            json!({})
        )
        .await
        .status,
        StatusCode::OK
    );
    // Requests cannot be for the past: the allocation is moved to March 2026 around the server.
    app.db
        .write_blocking(|c| {
            use instrument_booking::db::schema::allocations as a;
            let march = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
            let end = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
            diesel::update(a::table.find(allocation))
                .set((a::starts_on.eq(march), a::ends_on.eq(end)))
                .execute(c)
                .map_err(ServiceError::from)
        })
        .unwrap();
    let jobs = "account,user,start,end,units,unit_hours,job_id\n\
                fx,alice,2026-03-20T10:00:00,2026-03-20T12:00:00,8,16,1\n\
                fx,bob,2026-03-21T10:00:00,2026-03-21T13:00:00,4,12,2\n";
    let imported = app
        .send_raw(
            Method::POST,
            &format!("/api/v1/resources/{r4}/usage"),
            Some(&m),
            "text/csv",
            jobs.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(imported.status, StatusCode::CREATED, "{:?}", imported.body);

    let report = |level: &str, extra: &str| {
        let (app, admin) = (&app, admin.clone());
        let path =
            format!("/api/v1/reports/sharing?from=2026-03-01&to=2026-03-31&level={level}{extra}");
        async move {
            let r = app.get(&path, &admin).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
            r.body
        }
    };
    let (none, zero) = (Value::Null, json!(0.0));
    let instruments = report("instrument", "").await;
    // R1: 390 min used, 210 by Acme; 390 / 7 338; due 5 (3 used, the no-show, the late cancel).
    assert_eq!(
        row(&instruments, &r1.to_string()),
        figures(
            &r1.to_string(),
            6.5,
            3.5,
            json!(0.5385),
            122.3,
            0.0531,
            260_000,
            (2, 2),
            (json!(0.2), json!(0.2))
        )
    );
    assert_eq!(
        row(&instruments, &r2.to_string()),
        figures(
            &r2.to_string(),
            4.0,
            4.0,
            json!(1.0),
            135.88,
            0.0294,
            80_000,
            (1, 1),
            (zero.clone(), zero.clone())
        )
    );
    assert_eq!(
        row(&instruments, &r3.to_string()),
        figures(
            &r3.to_string(),
            3.0,
            2.0,
            json!(0.6667),
            67.93,
            0.0442,
            60_000,
            (2, 2),
            (zero.clone(), zero.clone())
        )
    );
    // R4: 1 680 GPU-minutes of 8 × 8 153.
    assert_eq!(
        row(&instruments, &r4.to_string()),
        figures(
            &r4.to_string(),
            28.0,
            28.0,
            json!(1.0),
            1087.07,
            0.0258,
            28_000,
            (2, 1),
            (none.clone(), none.clone())
        )
    );

    // Fudan: R1, R2, R4 and its two demo instruments (7 338 + 8 153 + 65 224 + 2 × 8 153).
    let institutions = report("institution", "").await;
    let sixth = json!(0.1667);
    assert_eq!(
        row(&institutions, &fudan.to_string()),
        figures(
            &fudan.to_string(),
            38.5,
            35.5,
            json!(0.9221),
            1617.02,
            0.0238,
            368_000,
            (5, 3),
            (sixth.clone(), sixth.clone())
        )
    );
    // Nanjing University: R3 and its two demo instruments (4 076 + 2 × 8 153).
    assert_eq!(
        row(&institutions, &nju.to_string()),
        figures(
            &nju.to_string(),
            3.0,
            2.0,
            json!(0.6667),
            339.7,
            0.0088,
            60_000,
            (2, 2),
            (zero.clone(), zero.clone())
        )
    );
    // Shanghai (city and province): 520 demo units × 8 153, with R1, R2 and R4.
    let cities = report("city", "").await;
    assert_eq!(
        row(&cities, "310100"),
        figures(
            "310100",
            38.5,
            35.5,
            json!(0.9221),
            72004.58,
            0.0005,
            368_000,
            (5, 3),
            (sixth.clone(), sixth.clone())
        )
    );
    // Nanjing: 19 demo units and R3.
    assert_eq!(
        row(&cities, "320100"),
        figures(
            "320100",
            3.0,
            2.0,
            json!(0.6667),
            2649.72,
            0.0011,
            60_000,
            (2, 2),
            (zero.clone(), zero.clone())
        )
    );
    let provinces = report("province", "").await;
    assert_eq!(
        row(&provinces, "SH"),
        figures(
            "SH",
            38.5,
            35.5,
            json!(0.9221),
            72004.58,
            0.0005,
            368_000,
            (5, 3),
            (sixth.clone(), sixth.clone())
        )
    );
    // Jiangsu: 43 028 demo units (the Wuxi supercomputer's 40 960 among them) and R3.
    assert_eq!(
        row(&provinces, "JS"),
        figures(
            "JS",
            3.0,
            2.0,
            json!(0.6667),
            5846856.0,
            0.0,
            60_000,
            (2, 2),
            (zero.clone(), zero.clone())
        )
    );
    // The region: 44 583 demo units and the four; 2 490 minutes used, 2 250 from outside; due 8.
    let region = report("region", "").await;
    let eighth = json!(0.125);
    let whole = figures(
        "YRD",
        41.5,
        37.5,
        json!(0.9036),
        6059499.83,
        0.0,
        428_000,
        (5, 3),
        (eighth.clone(), eighth),
    );
    assert_eq!(row(&region, "YRD"), whole);
    // Large instruments only: R3 (400 000 in Jiangsu) drops out; R2 (400 000 in Shanghai) stays.
    let large = report("instrument", "&large_only=true").await;
    let keys: Vec<&str> = large["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&r2.to_string().as_str()) && !keys.contains(&r3.to_string().as_str()));

    // Flows: users' province × providers'. Jiangsu's users in Shanghai: Acme 150 + 60 min on R1
    // and 1 680 on R4, NJU 240 on R2: 35.5 h, 2 000 + 280 + 800 yuan; the voucher's 1 000 yuan;
    // four uses ended in March (the one across the month's end ended in April).
    let flows = app
        .get(
            "/api/v1/reports/flows?from=2026-03-01&to=2026-03-31",
            &admin,
        )
        .await;
    assert_eq!(
        flows.body["by_user_province"],
        json!([
            {"from_province": "JS", "provider_province": "JS", "hours": 3.0, "fee_fen": 60000, "voucher_fen": 25000, "uses": 2, "service_orders": 0, "service_order_fee_fen": 0, "service_order_voucher_fen": 0},
            {"from_province": "JS", "provider_province": "SH", "hours": 35.5, "fee_fen": 308000, "voucher_fen": 100000, "uses": 4, "service_orders": 0, "service_order_fee_fen": 0, "service_order_voucher_fen": 0},
            {"from_province": "SH", "provider_province": "SH", "hours": 3.0, "fee_fen": 60000, "voucher_fen": 0, "uses": 1, "service_orders": 0, "service_order_fee_fen": 0, "service_order_voucher_fen": 0},
        ])
    );
    // By the voucher's issuer (Jiangsu): only the two uses it paid for.
    assert_eq!(
        flows.body["by_issuer_province"],
        json!([
            {"from_province": "JS", "provider_province": "JS", "hours": 2.0, "fee_fen": 50000, "voucher_fen": 25000, "uses": 1, "service_orders": 0, "service_order_fee_fen": 0, "service_order_voucher_fen": 0},
            {"from_province": "JS", "provider_province": "SH", "hours": 2.5, "fee_fen": 200000, "voucher_fen": 100000, "uses": 1, "service_orders": 0, "service_order_fee_fen": 0, "service_order_voucher_fen": 0},
        ])
    );

    // Two days, read from the uses rather than the monthly totals: R1 on 5 and 6 March, 2 880
    // minutes rated at 1 600 h a year = 526.
    let days = app
        .get(
            "/api/v1/reports/sharing?from=2026-03-05&to=2026-03-06",
            &admin,
        )
        .await;
    assert_eq!(
        row(&days.body, &r1.to_string()),
        figures(
            &r1.to_string(),
            5.5,
            2.5,
            json!(0.4545),
            8.77,
            0.6274,
            260_000,
            (2, 2),
            (zero.clone(), zero)
        )
    );
}

on_both_backends!(a_fixture_region_by_hand);
