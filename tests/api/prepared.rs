//! A booking reads its resource's view before it takes the resource's lock; an edit that lands in
//! between (here a retirement) is what the booking is judged by.

use actix_web::http::StatusCode;
use instrument_booking::booking::create::{self, Request};
use instrument_booking::domain::actor::Actor;
use instrument_booking::domain::availability::Span;
use instrument_booking::domain::ids::{OrganizationId, ResourceId, UserId};
use instrument_booking::domain::money::PurposeKind;
use instrument_booking::domain::types::Role;
use instrument_booking::error::ServiceError;
use serde_json::json;

use crate::bookings::workday;
use crate::harness::*;
use crate::on_both_backends;

async fn an_edit_between_reading_and_locking_is_what_counts(app: TestApp) {
    let (m, b) = (app.login(MANAGER).await, app.login(BOOKER).await);
    let fudan = app.list_all("/api/v1/resources?q=fudan", &m).await;
    let id = fudan[0]["id"].as_i64().unwrap();
    let me = app.get("/api/v1/me", &b).await.body;
    let booker = Actor {
        id: UserId(me["id"].as_i64().unwrap()),
        role: Role::Booker,
        org: Some(OrganizationId(me["organization_id"].as_i64().unwrap())),
    };
    let start = workday(5).and_hms_opt(2, 0, 0).unwrap().and_utc();
    let request = Request {
        resource: ResourceId(id),
        span: Span::new(start, start + chrono::Duration::hours(1)),
        quantity: 1,
        purpose: "a sample".into(),
        waitlist: false,
        series: None,
        purpose_kind: PurposeKind::Research,
        payment: None,
        on_behalf: None,
    };
    let prepared = app
        .db
        .read_blocking(|conn| create::prepare(conn, ResourceId(id)))
        .unwrap();
    assert!(prepared.is_some());

    let retired = app
        .post(
            &format!("/api/v1/resources/{id}/retire"),
            &m,
            json!({"reason": "replaced by a newer model"}),
        )
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{:?}", retired.body);

    let now = chrono::Utc::now();
    let outcome = app.db.write_blocking(|conn| {
        create::create_prepared(conn, &booker, (&request, prepared), now)
            .map(|made| made.row.id)
            .map_err(create::Failure::into_error)
    });
    let refused: ServiceError = outcome.expect_err("a retired resource takes no bookings");
    assert!(refused.detail.contains("retired"), "{}", refused.detail);
}

on_both_backends!(an_edit_between_reading_and_locking_is_what_counts);
