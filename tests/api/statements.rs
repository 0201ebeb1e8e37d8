//! Settlement statements with a life: issued by the provider for a period, agreed and paid by
//! the issuing agency, or disputed or withdrawn and issued again corrected; each payment on one
//! live statement only, even when two are issued at once; every step in the audit trail.

use actix_web::http::StatusCode;
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;
use crate::voucher_payments::{
    acme_js_voucher, named_instrument, next_half_hour, paid_booking, slot,
};

/// One hour booked by Acme on a new Fudan instrument, used in full: Jiangsu's voucher pays
/// 300 yuan of it. The clock is left at the check-out; returns the booking and its Shanghai day.
pub(crate) async fn captured(app: &TestApp, name: &str) -> (i64, NaiveDate) {
    let (m, t) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let xrd = named_instrument(app, &m, "auto", name).await;
    let voucher = acme_js_voucher(app, &t).await;
    let start = next_half_hour();
    let s = slot(start, 1);
    let made = app
        .post(
            "/api/v1/bookings",
            &t,
            paid_booking(xrd, &s, voucher, 30_000),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    let path = |step: &str| format!("/api/v1/bookings/{id}/{step}");
    app.clock.set(start);
    let arrived = app.post(&path("check-in"), &m, json!({})).await;
    assert_eq!(arrived.status, StatusCode::OK, "{:?}", arrived.body);
    app.clock.set(start + Duration::hours(1));
    let left = app.post(&path("check-out"), &m, json!({})).await;
    assert_eq!(
        left.body["payment"]["final_voucher_fen"], 30_000,
        "{:?}",
        left.body
    );
    (id, (start + Duration::hours(9)).date_naive())
}

/// The Jiangsu agency's id, as the settlement report names it.
pub(crate) async fn jiangsu(app: &TestApp, day: NaiveDate) -> i64 {
    let m = app.login(MANAGER).await;
    let report = app
        .get(&format!("/api/v1/settlements?from={day}&to={day}"), &m)
        .await;
    report.body["lines"][0]["issuer_id"].as_i64().unwrap()
}

pub(crate) fn period(issuer: i64, day: NaiveDate) -> Value {
    json!({"issuer_id": issuer, "from": day, "to": day})
}

/// The actions recorded on statement `id`, as `reader` sees them.
async fn trail(app: &TestApp, reader: &str, id: i64) -> Vec<Value> {
    let path = format!("/api/v1/audit-events?subject_kind=settlement_statement&subject_id={id}");
    app.list_all(&path, reader).await
}

async fn a_statement_is_issued_agreed_and_paid_each_step_audited(app: TestApp) {
    let (booking, day) = captured(&app, "Statement XRD").await;
    let js_agency = jiangsu(&app, day).await;
    let (m, js, sh, t) = (
        app.login(MANAGER).await,
        app.login(JS_ISSUER).await,
        app.login(ISSUER).await,
        app.login(BOOKER).await,
    );
    let base = "/api/v1/settlement-statements";
    let tomorrow = json!({"issuer_id": js_agency, "from": day, "to": day + Duration::days(1)});
    let early = app.post(base, &m, tomorrow).await;
    assert_eq!(early.body["errors"][0]["field"], "to", "{:?}", early.body);
    assert_eq!(
        app.post(base, &t, period(js_agency, day)).await.status,
        StatusCode::FORBIDDEN
    );

    let issued = app.post(base, &m, period(js_agency, day)).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let id = issued.body["id"].as_i64().unwrap();
    let at = format!("{base}/{id}");
    assert_eq!(issued.header("location").as_deref(), Some(at.as_str()));
    assert_eq!(
        (
            &issued.body["status"],
            &issued.body["amount_fen"],
            &issued.body["line_count"]
        ),
        (&json!("issued"), &json!(30_000), &json!(1))
    );
    assert_eq!(issued.body["lines"][0]["booking_id"], booking);
    let again = app.post(base, &m, period(js_agency, day)).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing is left to settle"
    );

    assert_eq!(app.get(&at, &js).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&at, &sh).await.status,
        StatusCode::NOT_FOUND,
        "not Shanghai's"
    );
    assert_eq!(
        app.post(&format!("{at}/agree"), &m, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let paid_early = app
        .post(&format!("{at}/pay"), &js, json!({"reference": "JS-1"}))
        .await;
    assert_eq!(paid_early.code(), "invalid_state", "{:?}", paid_early.body);

    let agreed = app.post(&format!("{at}/agree"), &js, json!({})).await;
    assert_eq!(agreed.status, StatusCode::OK, "{:?}", agreed.body);
    assert_eq!(agreed.body["status"], "agreed");
    assert!(agreed.body["agreed_at"].is_string());
    let blank = app
        .post(&format!("{at}/pay"), &js, json!({"reference": " "}))
        .await;
    assert_eq!(blank.body["errors"][0]["field"], "reference");
    let paid = app
        .post(
            &format!("{at}/pay"),
            &js,
            json!({"reference": "JS-2027-0042"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    assert_eq!(
        (&paid.body["status"], &paid.body["payment_reference"]),
        (&json!("paid"), &json!("JS-2027-0042"))
    );
    let late = app
        .post(&format!("{at}/withdraw"), &m, json!({"reason": "too late"}))
        .await;
    assert_eq!(late.code(), "invalid_state");

    let listed = app.list_all(&format!("{base}?status=paid"), &m).await;
    assert_eq!(
        listed.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        [json!(id)]
    );
    assert!(
        listed[0].get("lines").is_none(),
        "lists leave the lines out"
    );
    assert_eq!(app.list_all(base, &sh).await, Vec::<Value>::new());
    for reader in [&m, &js] {
        let actions: Vec<Value> = trail(&app, reader, id)
            .await
            .iter()
            .map(|e| e["action"].clone())
            .collect();
        assert_eq!(
            actions,
            [
                json!("settlement_statement.issued"),
                json!("settlement_statement.agreed"),
                json!("settlement_statement.paid")
            ]
        );
    }
    let steps = trail(&app, &js, id).await;
    assert_eq!(
        (&steps[1]["before"]["status"], &steps[1]["after"]["status"]),
        (&json!("issued"), &json!("agreed"))
    );
    assert_eq!(steps[2]["after"]["payment_reference"], "JS-2027-0042");
    assert_eq!(steps[2]["party_id"], js_agency);
    assert_eq!(trail(&app, &sh, id).await, Vec::<Value>::new());
}

async fn a_disputed_or_withdrawn_statement_frees_its_payments(app: TestApp) {
    let (booking, day) = captured(&app, "Disputed XRD").await;
    let js_agency = jiangsu(&app, day).await;
    let (m, js, admin) = (
        app.login(MANAGER).await,
        app.login(JS_ISSUER).await,
        app.login(ADMIN).await,
    );
    let base = "/api/v1/settlement-statements";
    let first = app.post(base, &m, period(js_agency, day)).await;
    let first = first.body["id"].as_i64().unwrap();
    let no_reason = app
        .post(&format!("{base}/{first}/dispute"), &js, json!({}))
        .await;
    assert_eq!(no_reason.code(), "invalid_body");
    let why = json!({"reason": "the use of 3 March was billed twice"});
    let disputed = app.post(&format!("{base}/{first}/dispute"), &js, why).await;
    assert_eq!(disputed.status, StatusCode::OK, "{:?}", disputed.body);
    assert_eq!(
        (&disputed.body["status"], &disputed.body["closed_reason"]),
        (
            &json!("disputed"),
            &json!("the use of 3 March was billed twice")
        )
    );

    // The admin issues the corrected statement for Fudan, which it must name.
    let unnamed = app.post(base, &admin, period(js_agency, day)).await;
    assert_eq!(
        unnamed.body["errors"][0]["field"], "provider_id",
        "{:?}",
        unnamed.body
    );
    let provider = disputed.body["provider_id"].clone();
    let mut named = period(js_agency, day);
    named["provider_id"] = provider;
    let second = app.post(base, &admin, named).await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
    assert_eq!(
        second.body["lines"][0]["booking_id"], booking,
        "the payment is free again"
    );
    let second = second.body["id"].as_i64().unwrap();
    let withdrawn = app
        .post(
            &format!("{base}/{second}/withdraw"),
            &m,
            json!({"reason": "wrong period"}),
        )
        .await;
    assert_eq!(
        withdrawn.body["status"], "withdrawn",
        "{:?}",
        withdrawn.body
    );
    let steps = trail(&app, &m, second).await;
    assert_eq!(steps.last().unwrap()["reason"], "wrong period");
    assert_eq!(
        app.get(&format!("{base}/{first}"), &m).await.body["lines"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "a closed statement still shows what it claimed"
    );
}

async fn two_statements_issued_at_once_claim_a_payment_once(app: TestApp) {
    let (_, day) = captured(&app, "Raced XRD").await;
    let js_agency = jiangsu(&app, day).await;
    let m = app.login(MANAGER).await;
    let base = "/api/v1/settlement-statements";
    let sends = (0..4).map(|_| app.post(base, &m, period(js_agency, day)));
    let answers = futures_util::future::join_all(sends).await;
    let made = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        made,
        1,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert!(matches!(a.status.as_u16(), 409 | 422), "{:?}", a.body);
    }
    let live = app.list_all(&format!("{base}?status=issued"), &m).await;
    assert_eq!(live.len(), 1);
}

on_both_backends!(
    a_statement_is_issued_agreed_and_paid_each_step_audited,
    a_disputed_or_withdrawn_statement_frees_its_payments,
    two_statements_issued_at_once_claim_a_payment_once
);
