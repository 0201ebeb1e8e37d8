//! Who is told what: operators of a new request, the daily digest with competing requests
//! grouped, a rejection with its reason and free alternatives, and a voucher about to expire.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::bookings::{sh, workday};
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::outbox as o;
use instrument_booking::db::schema::outbox_contents as oc;
use instrument_booking::error::ServiceError;

/// (kind, recipient, text) of every queued message, oldest first.
fn queued(app: &TestApp) -> Vec<(String, String, String)> {
    app.db
        .read_blocking(|c| {
            o::table
                .inner_join(oc::table)
                .order(o::id)
                .select((o::kind, o::to_address, oc::text_body))
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

async fn operators_hear_of_requests_and_get_a_digest(app: TestApp) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let body = json!({"kind": "instrument", "name_en": "Fudan cryo-EM", "name_zh": "复旦冷冻电镜", "category": "microscopy",
        "original_value_cny": 50000000, "jurisdiction_code": "310100", "approval_policy": "manual",
        "conflict_policy": "operator_choice", "rates": {"internal": 1, "academic": 2, "enterprise": 3}});
    let em = app.post("/api/v1/resources", &m, body).await.body["id"]
        .as_i64()
        .unwrap();
    let day = workday(3);
    let mut ids = Vec::new();
    for (from, to) in [("09:00", "11:00"), ("10:00", "12:00"), ("14:00", "15:00")] {
        let r = app
            .post("/api/v1/bookings", &t, json!({"resource_id": em, "start": sh(day, from), "end": sh(day, to), "purpose": "grids"}))
            .await;
        assert_eq!(r.body["state"], "pending", "{:?}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let to_manager: Vec<_> = queued(&app)
        .into_iter()
        .filter(|(k, to, _)| k == "new_request" && to == MANAGER)
        .collect();
    assert_eq!(
        to_manager.len(),
        3,
        "the resource has no operator: its institution's managers decide"
    );

    // Noon in Shanghai today, so that an hour later is still the same day.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let now = today.and_hms_opt(4, 0, 0).unwrap().and_utc();
    assert_eq!(
        instrument_booking::jobs::digest::run(&app.db, now).unwrap(),
        1
    );
    assert_eq!(
        instrument_booking::jobs::digest::run(&app.db, now + Duration::hours(1)).unwrap(),
        0,
        "one a day"
    );
    let digest = queued(&app)
        .into_iter()
        .find(|(k, ..)| k == "operator_digest")
        .unwrap();
    assert_eq!(digest.1, MANAGER);
    assert!(digest.2.contains("3 条预约申请"), "{}", digest.2);
    assert!(digest.2.contains(&format!("#{}", ids[0])), "{}", digest.2);
    assert_eq!(
        digest.2.matches("冲突").count(),
        1,
        "the second competes with the first: {}",
        digest.2
    );

    let no = app
        .post(
            &format!("/api/v1/bookings/{}/reject", ids[1]),
            &m,
            json!({"reason": "the grids are not ready"}),
        )
        .await;
    assert_eq!(no.status, StatusCode::OK, "{:?}", no.body);
    let rejected = queued(&app)
        .into_iter()
        .find(|(k, ..)| k == "booking_rejected")
        .unwrap();
    assert_eq!(rejected.1, BOOKER);
    assert!(
        rejected.2.contains("the grids are not ready"),
        "{}",
        rejected.2
    );
    assert!(rejected.2.contains("可选的空闲时段"), "{}", rejected.2);
}

async fn a_voucher_about_to_expire_is_announced_once(app: TestApp) {
    let t = app.login(BOOKER).await;
    let v = &app.list_all("/api/v1/vouchers", &t).await[0];
    let expires: DateTime<Utc> = v["expires_at"].as_str().unwrap().parse().unwrap();
    let warn = |now| instrument_booking::jobs::vouchers::warn_expiring(&app.db, now).unwrap();
    assert_eq!(warn(expires - Duration::days(31)), 0, "not yet");
    assert_eq!(warn(expires - Duration::days(10)), 1);
    assert_eq!(warn(expires - Duration::days(9)), 0, "once");
    let notice = queued(&app)
        .into_iter()
        .find(|(k, ..)| k == "voucher_expiring")
        .unwrap();
    assert_eq!(notice.1, BOOKER);
    assert!(
        notice.2.contains("JS-IS") && notice.2.contains("¥3,000.00"),
        "{}",
        notice.2
    );
}

on_both_backends!(
    operators_hear_of_requests_and_get_a_digest,
    a_voucher_about_to_expire_is_announced_once
);
