//! Sample-testing service orders: a service published and found in the regional search, an
//! order paid partly by a voucher from request to delivered report (held on acceptance, captured
//! on the samples measured, in the settlement), a rejection releasing its hold, a report only the
//! orderer and the lab can download, and edits, uploads and steps refused with what to fix.

use actix_web::http::{Method, StatusCode};
use chrono::{Datelike, Duration, Utc, Weekday};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::bookings::resource_id;
use crate::harness::*;
use crate::on_both_backends;
use crate::receiver::WebhookSink;
use instrument_booking::db::schema::outbox as o;
use instrument_booking::db::schema::webhook_deliveries as wd;
use instrument_booking::error::ServiceError;

/// A small PDF, as a lab's report would start.
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Fudan's X-ray diffraction phase analysis: 800 yuan a sample for enterprises, five working
/// days, paid by vouchers for research.
fn xrd_service() -> Value {
    json!({"name_en": "XRD phase analysis", "name_zh": "X射线衍射物相分析",
        "measures": "crystalline phases and their fractions", "sample_requirements": "1 g of dry powder per sample",
        "category": "analytical", "prices": {"internal_fen": 20_000, "academic_fen": 50_000, "enterprise_fen": 80_000},
        "turnaround_days": 5, "voucher_purposes": ["research"]})
}

async fn publish(app: &TestApp, manager: &str) -> i64 {
    let made = app.post("/api/v1/services", manager, xrd_service()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

async fn acme_voucher(app: &TestApp, t: &str) -> i64 {
    app.list_all("/api/v1/vouchers", t).await[0]["id"]
        .as_i64()
        .unwrap()
}

async fn available(app: &TestApp, t: &str, voucher: i64) -> i64 {
    app.get(&format!("/api/v1/vouchers/{voucher}"), t)
        .await
        .body["balance"]["available"]
        .as_i64()
        .unwrap()
}

/// Acme orders four samples with its voucher, accepting a co-payment of 1 600 yuan.
async fn order(app: &TestApp, t: &str, service: i64, voucher: i64, key: &str) -> Response {
    let body = json!({"service_id": service, "samples": 4, "notes": "four batches of catalyst",
        "voucher_id": voucher, "accepted_co_payment_fen": 160_000});
    app.request_with(
        Method::POST,
        "/api/v1/service-orders",
        Some(t),
        Some(body),
        &[("Idempotency-Key", key)],
    )
    .await
}

async fn step(app: &TestApp, token: &str, id: i64, step: &str, body: Value) -> Response {
    app.post(&format!("/api/v1/service-orders/{id}/{step}"), token, body)
        .await
}

async fn upload(app: &TestApp, token: &str, id: i64, kind: &str, bytes: &[u8]) -> Response {
    let path = format!("/api/v1/service-orders/{id}/report?file_name=../XRD%20report.pdf");
    app.send_raw(Method::PUT, &path, Some(token), kind, bytes.to_vec())
        .await
}

/// The subjects of the service-order messages sent to `to`, oldest first.
fn letters_to(app: &TestApp, to: &str) -> Vec<String> {
    let to = to.to_owned();
    app.db
        .read_blocking(move |c| {
            o::table
                .filter(o::kind.eq("service_order"))
                .filter(o::to_address.eq(to))
                .order(o::id)
                .select(o::subject)
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

/// The types of the webhook events queued, oldest first.
fn queued_events(app: &TestApp) -> Vec<String> {
    app.db
        .read_blocking(|c| {
            wd::table
                .order(wd::id)
                .select(wd::event_type)
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

fn working_days_after(days: i64) -> chrono::NaiveDate {
    let mut day = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let mut left = days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

async fn an_order_paid_by_a_voucher_runs_to_its_report_and_settles(app: TestApp) {
    let (m, op, t) = (
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let sink = WebhookSink::start();
    let events = [
        "service_order.submitted",
        "service_order.accepted",
        "service_order.samples_received",
        "service_order.in_progress",
        "service_order.report_delivered",
        "service_order.rejected",
    ];
    let hook = json!({"url": sink.url(), "events": events, "description": "LIMS"});
    let hooked = app.post("/api/v1/webhooks", &m, hook).await;
    assert_eq!(hooked.status, StatusCode::CREATED, "{:?}", hooked.body);
    let service = publish(&app, &m).await;
    let found = app
        .list_all("/api/v1/services?q=xrd%20phase&province=SH", &t)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], service);
    let elsewhere = app.list_all("/api/v1/services?q=xrd&province=ZJ", &t).await;
    assert!(elsewhere.is_empty(), "{elsewhere:?}");

    let voucher = acme_voucher(&app, &t).await;
    let quote = app
        .get(
            &format!("/api/v1/services/{service}/quote?samples=4&voucher_id={voucher}"),
            &t,
        )
        .await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(quote.body["customer_category"], "enterprise");
    assert_eq!(quote.body["gross_fen"], 320_000);
    assert_eq!(quote.body["voucher"]["share_fen"], 160_000);
    assert_eq!(quote.body["co_payment_fen"], 160_000);

    let made = order(&app, &t, service, voucher, "xrd-1").await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    assert_eq!(made.body["state"], "submitted");
    let again = order(&app, &t, service, voucher, "xrd-1").await;
    assert_eq!(again.body["id"], id, "the same key answers the same order");
    let before = available(&app, &t, voucher).await;

    let accepted = step(&app, &op, id, "accept", json!({})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["voucher_share_fen"], 160_000);
    assert_eq!(available(&app, &t, voucher).await, before - 160_000);

    let received = step(&app, &op, id, "receive-samples", json!({})).await;
    assert_eq!(
        received.body["due_on"],
        json!(working_days_after(5)),
        "{:?}",
        received.body
    );
    assert_eq!(
        step(&app, &op, id, "start", json!({})).await.body["state"],
        "in_progress"
    );
    let early = step(&app, &op, id, "deliver", json!({"samples_measured": 3})).await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "no report yet: {:?}",
        early.body
    );
    let put = upload(&app, &op, id, "application/pdf", PDF).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["file_name"], "XRD report.pdf");
    let delivered = step(&app, &op, id, "deliver", json!({"samples_measured": 3})).await;
    assert_eq!(delivered.status, StatusCode::OK, "{:?}", delivered.body);
    assert_eq!(delivered.body["state"], "report_delivered");
    assert_eq!(delivered.body["final_gross_fen"], 240_000);
    assert_eq!(delivered.body["final_voucher_fen"], 120_000);
    // Captured on the three samples measured; the fourth's share is given back.
    assert_eq!(available(&app, &t, voucher).await, before - 120_000);

    let report = app
        .get(&format!("/api/v1/service-orders/{id}/report"), &t)
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert_eq!(
        report.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert_eq!(report.body.as_str().unwrap().as_bytes(), PDF);

    let history = app
        .get(&format!("/api/v1/service-orders/{id}/history"), &t)
        .await;
    let steps: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "submitted",
            "accepted",
            "samples_received",
            "in_progress",
            "report_delivered"
        ]
    );
    assert_eq!(
        letters_to(&app, BOOKER).len(),
        4,
        "every step after ordering is mailed"
    );
    assert_eq!(
        queued_events(&app),
        events[..5],
        "each step to the lab's webhook"
    );
    let trail = app
        .get(
            &format!("/api/v1/audit-events?subject_kind=service_order&subject_id={id}"),
            &m,
        )
        .await;
    let actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "service_order.submitted",
            "service_order.accepted",
            "service_order.samples_received",
            "service_order.in_progress",
            "service_order.report_uploaded",
            "service_order.report_delivered"
        ]
    );
    assert_eq!(
        letters_to(&app, MANAGER).len(),
        1,
        "the lab hears of the order"
    );

    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let settled = app
        .get(&format!("/api/v1/settlements?from={today}&to={today}"), &m)
        .await;
    assert_eq!(settled.status, StatusCode::OK, "{:?}", settled.body);
    let lines: Vec<&Value> = settled.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["service_order_id"] == id)
        .collect();
    assert_eq!(lines.len(), 1, "{:?}", settled.body);
    assert_eq!(lines[0]["amount_fen"], 120_000);
    assert_eq!(lines[0]["service_name_en"], "XRD phase analysis");
    assert_eq!(lines[0]["provider_province"], "SH");

    // Counted in the sharing report apart from hours, and in the flow from Jiangsu to Shanghai.
    let sharing = app
        .get(
            &format!("/api/v1/reports/sharing?from={today}&to={today}&level=institution"),
            &m,
        )
        .await;
    let total = &sharing.body["total"];
    assert_eq!(total["service_orders"], 1, "{:?}", sharing.body);
    assert_eq!(total["external_service_orders"], 1);
    assert_eq!(total["samples_measured"], 3);
    assert_eq!(total["service_order_income_fen"], 240_000);
    assert_eq!(total["effective_hours"], 0.0, "orders are not hours of use");
    let flows = app
        .get(
            &format!("/api/v1/reports/flows?from={today}&to={today}"),
            &m,
        )
        .await;
    let cell = flows.body["by_user_province"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from_province"] == "JS" && c["provider_province"] == "SH")
        .cloned()
        .unwrap_or_else(|| panic!("{:?}", flows.body));
    assert_eq!(cell["service_orders"], 1);
    assert_eq!(cell["service_order_fee_fen"], 240_000);
    assert_eq!(cell["service_order_voucher_fen"], 120_000);
    let by_issuer = &flows.body["by_issuer_province"];
    assert_eq!(
        by_issuer[0]["service_order_voucher_fen"], 120_000,
        "{by_issuer}"
    );
}

async fn a_rejected_order_releases_its_hold(app: TestApp) {
    let (m, op, t) = (
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let service = publish(&app, &m).await;
    let voucher = acme_voucher(&app, &t).await;
    let before = available(&app, &t, voucher).await;
    let id = order(&app, &t, service, voucher, "xrd-2").await.body["id"]
        .as_i64()
        .unwrap();
    step(&app, &op, id, "accept", json!({})).await;
    step(&app, &op, id, "receive-samples", json!({})).await;
    assert_eq!(available(&app, &t, voucher).await, before - 160_000);
    let no_reason = step(&app, &op, id, "reject", json!({"reason": ""})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let why = "the powder arrived wet and cannot be measured";
    let rejected = step(&app, &op, id, "reject", json!({"reason": why})).await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    assert_eq!(rejected.body["state"], "rejected");
    assert_eq!(rejected.body["reason"], why);
    assert_eq!(available(&app, &t, voucher).await, before);
    let ledger = app
        .get(&format!("/api/v1/vouchers/{voucher}/ledger"), &t)
        .await;
    let last = ledger.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["movement"], "release", "{last}");
    assert_eq!(last["amount_fen"], 160_000);
    assert_eq!(last["service_order_id"], id);
    let told = letters_to(&app, BOOKER);
    assert!(told.last().unwrap().contains("订单未被接受"), "{told:?}");
    let again = step(&app, &op, id, "accept", json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

async fn a_report_is_for_the_orderer_and_the_lab_only(app: TestApp) {
    let (admin, m, op, t) = (
        app.login(ADMIN).await,
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let service = publish(&app, &m).await;
    let body = json!({"service_id": service, "samples": 2});
    let id = app.post("/api/v1/service-orders", &t, body).await.body["id"]
        .as_i64()
        .unwrap();
    for s in ["accept", "receive-samples", "start"] {
        assert_eq!(
            step(&app, &op, id, s, json!({})).await.status,
            StatusCode::OK
        );
    }
    let by_booker = upload(&app, &t, id, "application/pdf", PDF).await;
    assert_eq!(by_booker.status, StatusCode::FORBIDDEN);
    let html = upload(
        &app,
        &op,
        id,
        "application/pdf",
        b"<html><script>x</script>",
    )
    .await;
    assert_eq!(
        html.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{:?}",
        html.body
    );
    let script = upload(&app, &op, id, "text/html", b"<html>").await;
    assert_eq!(script.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut huge = PDF.to_vec();
    huge.resize(10 * 1024 * 1024 + 1, b' ');
    let big = upload(&app, &op, id, "application/pdf", &huge).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        upload(&app, &op, id, "application/pdf", PDF).await.status,
        StatusCode::OK
    );

    let orgs = app
        .list_all("/api/v1/organizations?limit=200", &admin)
        .await;
    let nju = orgs
        .iter()
        .find(|o| o["name_en"] == "Nanjing University")
        .unwrap()["id"]
        .clone();
    let made = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "booker@nju.test",
            "password": "quiet-otter-harbour-52", "role": "booker", "organization_id": nju}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let stranger = app
        .login_with("booker@nju.test", "quiet-otter-harbour-52")
        .await;
    let path = format!("/api/v1/service-orders/{id}/report");
    for outsider in [&stranger, &app.login(JS_ISSUER).await] {
        let refused = app.get(&path, outsider).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{:?}", refused.body);
        let order = app
            .get(&format!("/api/v1/service-orders/{id}"), outsider)
            .await;
        assert_eq!(order.status, StatusCode::NOT_FOUND);
    }
    assert!(
        app.list_all("/api/v1/service-orders", &stranger)
            .await
            .is_empty()
    );
    for insider in [&t, &m, &op] {
        let got = app.get(&path, insider).await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(
            got.header("content-disposition")
                .unwrap()
                .starts_with("attachment"),
            "served as a download, never shown inline"
        );
        assert_eq!(
            got.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
}

async fn services_and_steps_refuse_what_is_wrong(app: TestApp) {
    let (m, op, t) = (
        app.login(MANAGER).await,
        app.login(OPERATOR).await,
        app.login(BOOKER).await,
    );
    let listed = app.list_all("/api/v1/services", &t).await.len();
    let mut bad = xrd_service();
    bad["turnaround_days"] = 0.into();
    bad["name_en"] = "".into();
    let refused = app.post("/api/v1/services", &m, bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name_en", "turnaround_days"]);
    let by_booker = app.post("/api/v1/services", &t, xrd_service()).await;
    assert_eq!(by_booker.status, StatusCode::FORBIDDEN);
    let after = app.list_all("/api/v1/services", &t).await.len();
    assert_eq!(after, listed, "nothing half-written");

    let service = publish(&app, &m).await;
    let path = format!("/api/v1/services/{service}");
    let blind = app
        .request(
            Method::PATCH,
            &path,
            Some(&m),
            Some(json!({"turnaround_days": 3})),
        )
        .await;
    assert_eq!(blind.status, StatusCode::PRECONDITION_REQUIRED);
    let etag = app.get(&path, &t).await.header("etag").unwrap();
    let edit = |body: Value, tag: String| {
        let (app, m, path) = (&app, m.clone(), path.clone());
        async move {
            app.request_with(
                Method::PATCH,
                &path,
                Some(&m),
                Some(body),
                &[("If-Match", &tag)],
            )
            .await
        }
    };
    let changed = edit(json!({"turnaround_days": 3}), etag.clone()).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let stale = edit(json!({"turnaround_days": 4}), etag).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let nmr = resource_id(&app, &m, "800 MHz NMR spectrometer", "Fudan University").await;
    let placed = edit(json!({"resource_id": nmr}), "*".into()).await;
    assert_eq!(placed.status, StatusCode::OK, "{:?}", placed.body);
    assert_eq!(app.get(&path, &t).await.body["resource_id"], nmr);
    let unplaced = edit(json!({"resource_id": null}), "*".into()).await;
    assert_eq!(unplaced.status, StatusCode::OK, "{:?}", unplaced.body);
    assert_eq!(app.get(&path, &t).await.body["resource_id"], Value::Null);

    let body = json!({"service_id": service, "samples": 1});
    let id = app.post("/api/v1/service-orders", &t, body).await.body["id"]
        .as_i64()
        .unwrap();
    let by_orderer = step(&app, &t, id, "accept", json!({})).await;
    assert_eq!(by_orderer.status, StatusCode::FORBIDDEN);
    step(&app, &op, id, "accept", json!({})).await;
    step(&app, &op, id, "receive-samples", json!({})).await;
    let late = step(
        &app,
        &t,
        id,
        "cancel",
        json!({"reason": "changed our mind"}),
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);

    let withdraw = app.get(&path, &t).await.header("etag").unwrap();
    let gone = edit(json!({"status": "withdrawn"}), withdraw).await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    assert!(app.list_all("/api/v1/services?q=xrd", &t).await.is_empty());
    let body = json!({"service_id": service, "samples": 1});
    let closed = app.post("/api/v1/service-orders", &t, body).await;
    assert_eq!(closed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let too_many = json!({"service_id": service, "samples": 0});
    let zero = app.post("/api/v1/service-orders", &t, too_many).await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_backends!(
    an_order_paid_by_a_voucher_runs_to_its_report_and_settles,
    a_rejected_order_releases_its_hold,
    a_report_is_for_the_orderer_and_the_lab_only,
    services_and_steps_refuse_what_is_wrong,
);
