//! Open-sharing reports from recorded use, on both databases, against figures computed by hand.

use actix_web::http::{Method, StatusCode};
use chrono::Datelike;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::bookings::{sh, workday};
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::bookings as b;
use instrument_booking::error::ServiceError;

/// Records what happened to a booking, as operators and jobs would have.
fn record(app: &TestApp, id: i64, state: &str, used: Option<(&str, &str)>, fee: Option<i64>) {
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().naive_utc();
    let (i, o) = used
        .map(|(i, o)| (Some(at(i)), Some(at(o))))
        .unwrap_or((None, None));
    // As the server writes it at completion: whole minutes used, times the booking's one unit.
    let minutes = i.zip(o).map(|(i, o)| (o - i).num_minutes());
    app.db
        .write_blocking(|c| {
            diesel::update(b::table.find(id))
                .set((
                    b::state.eq(state),
                    b::check_in_at.eq(i),
                    b::check_out_at.eq(o),
                    b::final_gross_fen.eq(fee),
                    b::used_unit_minutes.eq(minutes),
                ))
                .execute(c)?;
            // Written around the server, so its monthly totals are rebuilt as at a start.
            instrument_booking::db::reports::totals::rebuild(c).map_err(ServiceError::from)
        })
        .unwrap();
}

async fn a_day_of_an_instrument_by_hand(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "instrument", "name_en": "Fudan report XRD", "name_zh": "复旦报告XRD", "category": "analytical",
        "original_value_cny": 3000000, "jurisdiction_code": "310100", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 60000}, "booking_rules": {"lead_time_min": 0}});
    let xrd = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let day = workday(4);
    let mut ids = Vec::new();
    for (from, to) in [("09:00", "11:00"), ("14:00", "15:00")] {
        let r = app.post("/api/v1/bookings", &t, json!({"resource_id": xrd, "start": sh(day, from), "end": sh(day, to), "purpose": "phases"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    record(
        &app,
        ids[0],
        "completed",
        Some((&sh(day, "09:00"), &sh(day, "11:00"))),
        Some(120_000),
    );
    record(&app, ids[1], "no_show", None, None);

    let path = format!("/api/v1/reports/sharing?from={day}&to={day}");
    let r = app.get(&path, &m).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let key = xrd.to_string();
    let row = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == key.as_str())
        .unwrap()
        .clone();
    // One Shanghai day: 1 600 h / 365 = 263 rated minutes; 120 used by an outside enterprise.
    let expected = json!({"key": xrd.to_string(), "name_en": "Fudan report XRD", "name_zh": "复旦报告XRD", "resources": 1,
        "effective_hours": 2.0, "external_hours": 2.0, "sharing_rate": 1.0, "rated_hours": 4.38, "utilisation": 0.4563,
        "service_income_fen": 120000, "users_served": 1, "organizations_served": 1, "no_show_rate": 0.5, "late_cancel_rate": 0.0,
        "service_orders": 0, "external_service_orders": 0, "samples_measured": 0, "service_order_income_fen": 0});
    assert_eq!(row, expected);

    let csv = app.get(&format!("{path}&format=csv"), &m).await;
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(
        text.starts_with("\u{feff}key,name_en,name_zh,resources,effective_hours"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{xrd},Fudan report XRD,复旦报告XRD,1,2,2,1,4.38,0.4563,120000,1,1,0.5,0,0,0,0,0"
        )),
        "{text}"
    );

    let admin = app.login(ADMIN).await;
    let region = app
        .get(&format!("{path}&level=region&large_only=true"), &admin)
        .await;
    let total: &Value = &region.body["total"];
    assert_eq!(
        (
            total["effective_hours"].as_f64(),
            total["service_income_fen"].as_i64()
        ),
        (Some(2.0), Some(120_000))
    );
    assert_eq!(region.body["rows"][0]["key"], "YRD");
    assert_eq!(app.get(&path, &t).await.status, StatusCode::FORBIDDEN);

    // Rated for twice the hours, it is half as utilised: 526 rated minutes a day.
    let rated = format!("/api/v1/resources/{xrd}/rated-hours");
    let set = |who: &str, hours: i64| {
        let (app, rated, who) = (&app, rated.clone(), who.to_owned());
        async move {
            app.request(
                Method::PUT,
                &rated,
                Some(&who),
                Some(json!({"rated_hours_per_year": hours})),
            )
            .await
        }
    };
    assert_eq!(set(&t, 3_200).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        set(&m, 9_000).await.body["errors"][0]["field"],
        "rated_hours_per_year"
    );
    assert_eq!(set(&m, 3_200).await.body["rated_hours_per_year"], 3_200);
    let again = app.get(&path, &m).await.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == key.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (again["rated_hours"].as_f64(), again["utilisation"].as_f64()),
        (Some(8.77), Some(0.2281))
    );

    // Say Acme's Jiangsu voucher paid half of it: the flows by users' and by issuers' province.
    let voucher = app.list_all("/api/v1/vouchers", &t).await[0]["id"]
        .as_i64()
        .unwrap();
    app.db
        .write_blocking(|c| {
            diesel::update(b::table.find(ids[0]))
                .set((
                    b::voucher_id.eq(Some(voucher)),
                    b::final_voucher_fen.eq(Some(60_000_i64)),
                ))
                .execute(c)?;
            instrument_booking::db::reports::totals::rebuild(c).map_err(ServiceError::from)
        })
        .unwrap();
    let flows = app
        .get(&format!("/api/v1/reports/flows?from={day}&to={day}"), &m)
        .await;
    assert_eq!(flows.status, StatusCode::OK, "{:?}", flows.body);
    let cell = json!({"from_province": "JS", "provider_province": "SH", "hours": 2.0, "fee_fen": 120000, "voucher_fen": 60000, "uses": 1,
        "service_orders": 0, "service_order_fee_fen": 0, "service_order_voucher_fen": 0});
    assert_eq!(flows.body["by_user_province"], json!([cell.clone()]));
    assert_eq!(flows.body["by_issuer_province"], json!([cell]));
    let csv = app
        .get(
            &format!("/api/v1/reports/flows?from={day}&to={day}&format=csv&bom=false"),
            &m,
        )
        .await;
    assert_eq!(
        csv.body.as_str().unwrap(),
        "matrix,from_province,provider_province,hours,fee_fen,voucher_fen,uses,service_orders,\
         service_order_fee_fen,service_order_voucher_fen\n\
         user,JS,SH,2,120000,60000,1,0,0,0\nissuer,JS,SH,2,120000,60000,1,0,0,0\n"
    );
    let heat = chart(
        &app,
        &m,
        &format!("/api/v1/reports/charts/flows.svg?from={day}&to={day}&measure=fee&lang=en"),
    )
    .await;
    let doc = roxmltree::Document::parse(&heat).expect("the heat map is XML");
    let cells: Vec<(String, f64)> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("cell"))
        .map(|n| {
            let pair = format!(
                "{}>{}",
                n.attribute("data-from").unwrap(),
                n.attribute("data-to").unwrap()
            );
            (pair, n.attribute("data-value").unwrap().parse().unwrap())
        })
        .collect();
    assert_eq!(cells.len(), 16, "four provinces by four");
    assert!(
        cells
            .iter()
            .all(|(pair, v)| (pair == "JS>SH") == (*v == 1200.0)),
        "{cells:?}"
    );
    assert!(
        title(&doc).starts_with("Cross-province flows"),
        "{}",
        title(&doc)
    );
    assert!(heat.contains("Provider's province") && heat.contains("yuan"));
    let bad = app
        .request(
            Method::GET,
            &format!("/api/v1/reports/sharing?from={day}&to=2020-01-01"),
            Some(&m),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// An SVG chart, checked to be served as one.
async fn chart(app: &TestApp, token: &str, path: &str) -> String {
    let r = app.get(path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("image/svg+xml; charset=utf-8")
    );
    r.body.as_str().unwrap().to_owned()
}

fn title(doc: &roxmltree::Document<'_>) -> String {
    doc.descendants()
        .find(|n| n.has_tag_name("title"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_owned()
}

/// The bars of a utilisation chart: (month, percent).
fn bars(svg: &str) -> Vec<(u32, f64)> {
    let doc = roxmltree::Document::parse(svg).expect("the chart is XML");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .map(|n| {
            let month = n.attribute("data-month").unwrap().parse().unwrap();
            (month, n.attribute("data-value").unwrap().parse().unwrap())
        })
        .collect()
}

async fn a_years_utilisation_as_a_chart(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "instrument", "name_en": "Fudan chart NMR", "name_zh": "复旦图表核磁", "category": "nmr",
        "original_value_cny": 3000000, "jurisdiction_code": "310100", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3}, "booking_rules": {"lead_time_min": 0}});
    let nmr = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let day = workday(4);
    let r = app.post("/api/v1/bookings", &t, json!({"resource_id": nmr, "start": sh(day, "09:00"), "end": sh(day, "10:00"), "purpose": "spectra"})).await;
    // Recorded as ten hours of use on 6 January 2026, Shanghai time.
    let used = ("2026-01-06T09:00:00+08:00", "2026-01-06T19:00:00+08:00");
    record(
        &app,
        r.body["id"].as_i64().unwrap(),
        "completed",
        Some(used),
        Some(3),
    );

    let path = format!("/api/v1/reports/charts/utilisation.svg?year=2026&resource_id={nmr}");
    let en = chart(&app, &m, &format!("{path}&lang=en")).await;
    // January: 1 600 h × 31/365 = 8 153 rated minutes; 600 used: 7.36 %. Every other month 0.
    let mut expected: Vec<(u32, f64)> = (1..=12).map(|m| (m, 0.0)).collect();
    expected[0].1 = 7.36;
    assert_eq!(bars(&en), expected);
    let doc = roxmltree::Document::parse(&en).unwrap();
    assert_eq!(title(&doc), "Fudan chart NMR: monthly utilisation, 2026");
    assert!(en.contains("Utilisation (% of rated hours)") && en.contains(">Jan<"));
    // In Chinese by default for a Chinese-speaking manager, and for the whole institution.
    let zh = chart(&app, &m, &path).await;
    assert!(title(&roxmltree::Document::parse(&zh).unwrap()).contains("2026年月度利用率"));
    assert!(zh.contains(">1月<"));
    let fudan = app.get("/api/v1/me", &m).await.body["organization_id"].clone();
    let whole = chart(
        &app,
        &m,
        &format!("/api/v1/reports/charts/utilisation.svg?year=2026&institution_id={fudan}"),
    )
    .await;
    assert_eq!(bars(&whole).len(), 12);
    let neither = app
        .get("/api/v1/reports/charts/utilisation.svg?year=2026", &m)
        .await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = app
        .get(
            &format!(
                "/api/v1/reports/charts/utilisation.svg?year=2026&institution_id={}",
                fudan.as_i64().unwrap() + 1
            ),
            &m,
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}

/// A booking its user never checked out of is completed by the job at its end; its use counts in
/// a whole month's report (read from the monthly totals) as in a day's (read from the uses).
async fn automatic_completions_count_in_whole_months(app: TestApp) {
    // Two servers starting together on a database whose totals were never built: one builds them.
    let built: Vec<bool> = std::thread::scope(|s| {
        let starts: Vec<_> = (0..2)
            .map(|_| s.spawn(|| instrument_booking::db::reports::totals::ensure(&app.db).unwrap()))
            .collect();
        starts.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(built.iter().filter(|b| **b).count(), 1, "{built:?}");
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "instrument", "name_en": "Fudan totals XRD", "name_zh": "复旦月度XRD", "category": "analytical",
        "original_value_cny": 3000000, "jurisdiction_code": "310100", "approval_policy": "auto",
        "rates": {"internal": 1, "academic": 2, "enterprise": 60000}, "booking_rules": {"lead_time_min": 0}});
    let xrd = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let day = workday(10);
    let made = app.post("/api/v1/bookings", &t, json!({"resource_id": xrd, "start": sh(day, "09:00"), "end": sh(day, "10:00"), "purpose": "phases"})).await;
    let id = made.body["id"].as_i64().unwrap();
    let start = chrono::DateTime::parse_from_rfc3339(&sh(day, "09:00"))
        .unwrap()
        .with_timezone(&chrono::Utc);
    let done = app
        .db
        .write_blocking(|c| {
            diesel::update(b::table.find(id))
                .set(b::check_in_at.eq(Some(start.naive_utc())))
                .execute(c)?;
            let after = start + chrono::Duration::minutes(60 + 31);
            instrument_booking::booking::usage::complete_finished(c, after, 100)
        })
        .unwrap();
    assert_eq!(done, 1);
    let key = xrd.to_string();
    let first = day.with_day(1).unwrap();
    let last = (first + chrono::Months::new(1)).pred_opt().unwrap();
    for (from, to) in [(first, last), (day, day)] {
        let r = app
            .get(&format!("/api/v1/reports/sharing?from={from}&to={to}"), &m)
            .await;
        let row = r.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == key.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            (
                row["effective_hours"].as_f64(),
                row["service_income_fen"].as_i64(),
                row["users_served"].as_i64(),
                row["no_show_rate"].as_f64()
            ),
            (Some(1.0), Some(60_000), Some(1), Some(0.0)),
            "{from} to {to}: {row}"
        );
    }
}

on_both_backends!(
    a_day_of_an_instrument_by_hand,
    a_years_utilisation_as_a_chart,
    automatic_completions_count_in_whole_months,
);
