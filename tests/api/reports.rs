//! Open-sharing reports from recorded use, on both databases, against figures computed by hand.

use actix_web::http::{Method, StatusCode};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::bookings::{sh, workday};
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::bookings as b;
use instrument_booking::http::error::ApiError;

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
                .execute(c)
                .map_err(ApiError::from)
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
        "service_income_fen": 120000, "users_served": 1, "organizations_served": 1, "no_show_rate": 0.5, "late_cancel_rate": 0.0});
    assert_eq!(row, expected);

    let csv = app.get(&format!("{path}&format=csv"), &m).await;
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(
        text.starts_with("key,name_en,name_zh,resources,effective_hours"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{xrd},Fudan report XRD,复旦报告XRD,1,2,2,1,4.38,0.4563,120000,1,1,0.5,0"
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
                .execute(c)
                .map_err(ApiError::from)
        })
        .unwrap();
    let flows = app
        .get(&format!("/api/v1/reports/flows?from={day}&to={day}"), &m)
        .await;
    assert_eq!(flows.status, StatusCode::OK, "{:?}", flows.body);
    let cell = json!({"from_province": "JS", "provider_province": "SH", "hours": 2.0, "fee_fen": 120000, "voucher_fen": 60000, "uses": 1});
    assert_eq!(flows.body["by_user_province"], json!([cell.clone()]));
    assert_eq!(flows.body["by_issuer_province"], json!([cell]));
    let csv = app
        .get(
            &format!("/api/v1/reports/flows?from={day}&to={day}&format=csv"),
            &m,
        )
        .await;
    assert_eq!(
        csv.body.as_str().unwrap(),
        "matrix,from_province,provider_province,hours,fee_fen,voucher_fen,uses\n\
         user,JS,SH,2,120000,60000,1\nissuer,JS,SH,2,120000,60000,1\n"
    );
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

on_both_backends!(a_day_of_an_instrument_by_hand);
