//! Beamtime calls at a major facility: a call with three proposals and two reviewers, reviewers
//! seeing only the proposals assigned to them (never their own organisation's), scores before
//! the deadline, an over-allocation refused with nothing written, and an allocation that books
//! exactly the shifts given and mails every proposer the decision.

use actix_web::http::{Method, StatusCode};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::bookings::resource_id;
use crate::harness::*;
use crate::on_both_backends;
use instrument_booking::db::schema::{
    audit_events as au, bookings as b, outbox as o, outbox_contents as oc,
};
use instrument_booking::error::ServiceError;
use instrument_booking::jobs;

const SARI: &str = "Shanghai Advanced Research Institute CAS";
const BEAMLINE: &str = "SSRF beamline BL17U1 (macromolecular crystallography)";
const WORDS: &str = "quiet-otter-harbour-52";

/// The people of the call: its manager, three proposers of three organisations and two
/// reviewers, one of them of a proposer's organisation.
struct Cast {
    manager: String,
    proposers: [String; 3],
    reviewer_nju: (i64, String),
    reviewer_fudan: (i64, String),
}

async fn org_id(app: &TestApp, admin: &str, name: &str) -> i64 {
    let orgs = app.list_all("/api/v1/organizations?limit=200", admin).await;
    orgs.iter().find(|o| o["name_en"] == name).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Adds a user and signs them in.
async fn person(
    app: &TestApp,
    admin: &str,
    (email, role, org): (&str, &str, i64),
) -> (i64, String) {
    let body = json!({"email": email, "password": WORDS, "role": role, "organization_id": org});
    let made = app.post("/api/v1/users", admin, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    (
        made.body["id"].as_i64().unwrap(),
        app.login_with(email, WORDS).await,
    )
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.login(ADMIN).await;
    let (sari, nju, zju) = (
        org_id(app, &admin, SARI).await,
        org_id(app, &admin, "Nanjing University").await,
        org_id(app, &admin, "Zhejiang University").await,
    );
    let manager = person(app, &admin, ("manager@sari.test", "manager", sari))
        .await
        .1;
    let nju_booker = person(app, &admin, ("booker@nju.test", "booker", nju))
        .await
        .1;
    let zju_booker = person(app, &admin, ("booker@zju.test", "booker", zju))
        .await
        .1;
    let reviewer_nju = person(app, &admin, ("reviewer@nju.test", "booker", nju)).await;
    let m = app.login(MANAGER).await;
    let fudan_id = app.get("/api/v1/me", &m).await.body["id"].as_i64().unwrap();
    Cast {
        manager,
        proposers: [app.login(BOOKER).await, nju_booker, zju_booker],
        reviewer_nju,
        reviewer_fudan: (fudan_id, m),
    }
}

/// The call's dates, from a start a whole hour from now.
struct Dates {
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    reviews_due: DateTime<Utc>,
    beam_from: DateTime<Utc>,
}

fn dates() -> Dates {
    let opens = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    Dates {
        opens,
        closes: opens + Duration::days(14),
        reviews_due: opens + Duration::days(28),
        beam_from: opens + Duration::days(60),
    }
}

/// Five eight-hour shifts: two on each of the first two days, one on the third.
fn shifts(beamline: i64, d: &Dates) -> Vec<Value> {
    [(0, 0), (0, 8), (1, 0), (1, 8), (2, 0)]
        .iter()
        .map(|(day, hour)| {
            let start = d.beam_from + Duration::days(*day) + Duration::hours(*hour);
            json!({"resource_id": beamline, "start_at": start, "end_at": start + Duration::hours(8)})
        })
        .collect()
}

fn call_body(beamline: i64, d: &Dates, reviewers: [i64; 2]) -> Value {
    json!({"title_en": "SSRF 2027 spring beamtime", "title_zh": "上海光源2027年春季机时",
        "description": "Macromolecular crystallography at BL17U1.",
        "opens_at": d.opens, "closes_at": d.closes, "reviews_due_at": d.reviews_due,
        "beam_from": d.beam_from, "beam_to": d.beam_from + Duration::days(7),
        "criteria": ["scientific merit", "feasibility"], "reviewer_ids": reviewers,
        "shifts": shifts(beamline, d)})
}

fn proposal(beamline: i64, title: &str, shifts: i64, unavailable: Vec<String>) -> Value {
    json!({"resource_id": beamline, "title": title, "abstract": "Structures of enzyme complexes.",
        "shifts_requested": shifts, "unavailable_dates": unavailable,
        "team": [{"name": "Li Wei", "affiliation": "the lab", "role": "PI"}]})
}

/// The call's manager opens a call on the beamline with both reviewers.
async fn open_call(app: &TestApp, c: &Cast, beamline: i64, d: &Dates) -> Response {
    let reviewers = [c.reviewer_nju.0, c.reviewer_fudan.0];
    let body = call_body(beamline, d, reviewers);
    let opened = app.post("/api/v1/beam-calls", &c.manager, body).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:?}", opened.body);
    opened
}

async fn submit(app: &TestApp, call: i64, token: &str, body: Value) -> i64 {
    let made = app
        .post(&format!("/api/v1/beam-calls/{call}/proposals"), token, body)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    made.body["id"].as_i64().unwrap()
}

async fn review(app: &TestApp, token: &str, proposal: i64, scores: [i64; 2]) -> Response {
    let body = json!({"scores": scores, "comment": "Clear aims; the crystals are ready."});
    let path = format!("/api/v1/beam-proposals/{proposal}/review");
    app.request(Method::PUT, &path, Some(token), Some(body))
        .await
}

fn ids(items: &Value) -> Vec<i64> {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

/// The beamline's bookings starting in the beam period.
fn booked(app: &TestApp, beamline: i64, from: DateTime<Utc>) -> Vec<(i64, String)> {
    let from = from.naive_utc();
    app.db
        .read_blocking(move |c| {
            b::table
                .filter(b::resource_id.eq(beamline))
                .filter(b::start_at.ge(from))
                .order(b::start_at)
                .select((b::id, b::state))
                .load::<(i64, String)>(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

/// The beamtime letters queued, as (to, subject, text).
fn letters(app: &TestApp) -> Vec<(String, String, String)> {
    app.db
        .read_blocking(|c| {
            o::table
                .inner_join(oc::table.on(oc::message_id.eq(o::id)))
                .filter(o::kind.eq("beamtime"))
                .order(o::id)
                .select((o::to_address, o::subject, oc::text_body))
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap()
}

async fn a_call_is_reviewed_and_allocated_into_bookings(app: TestApp) {
    let c = cast(&app).await;
    let beamline = resource_id(&app, &c.manager, BEAMLINE, SARI).await;
    let d = dates();
    app.clock.set(d.opens + Duration::hours(1));
    let opened = open_call(&app, &c, beamline, &d).await;
    assert_eq!(opened.body["phase"], "open");
    let call = opened.body["id"].as_i64().unwrap();
    let shift: Vec<i64> = opened.body["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let public = app
        .get(&format!("/api/v1/beam-calls/{call}"), &c.proposers[0])
        .await;
    assert_eq!(
        public.body["reviewer_ids"],
        Value::Null,
        "reviewers stay anonymous"
    );

    let third_day = (d.beam_from + Duration::days(2)).with_timezone(&chrono_tz::Asia::Shanghai);
    let third_day = third_day.date_naive().to_string();
    let [acme, nju, zju] = &c.proposers;
    let p_acme = submit(
        &app,
        call,
        acme,
        proposal(beamline, "Kinase", 2, vec![third_day]),
    )
    .await;
    let p_nju = submit(
        &app,
        call,
        nju,
        proposal(beamline, "Transporter", 2, vec![]),
    )
    .await;
    let p_zju = submit(&app, call, zju, proposal(beamline, "Ribozyme", 3, vec![])).await;
    let path = format!("/api/v1/beam-proposals/{p_acme}");
    let tag = app.get(&path, acme).await.header("etag").unwrap();
    let edit = proposal(beamline, "Kinase complexes", 2, vec![]);
    let edited = app
        .request_with(
            Method::PUT,
            &path,
            Some(acme),
            Some(edit.clone()),
            &[("If-Match", &tag)],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["version"], 2);
    let early = review(&app, &c.reviewer_fudan.1, p_acme, [5, 5]).await;
    assert_eq!(
        early.status,
        StatusCode::CONFLICT,
        "reviews open at the close"
    );

    app.clock.set(d.closes + Duration::hours(1));
    let late_edit = app
        .request_with(
            Method::PUT,
            &path,
            Some(acme),
            Some(edit),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(
        late_edit.status,
        StatusCode::CONFLICT,
        "{:?}",
        late_edit.body
    );
    let listed = |token: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/beam-calls/{call}/proposals"), &token)
                .await
                .body
        }
    };
    let (rn, rf) = (&c.reviewer_nju.1, &c.reviewer_fudan.1);
    assert_eq!(
        ids(&listed(rn.clone()).await),
        [p_acme, p_zju],
        "never its own organisation's"
    );
    assert_eq!(ids(&listed(rf.clone()).await), [p_acme, p_nju, p_zju]);
    assert_eq!(
        ids(&listed(acme.clone()).await),
        [p_acme],
        "a proposer sees their own"
    );
    let hidden = app
        .get(&format!("/api/v1/beam-proposals/{p_nju}"), rn)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(
        review(&app, rn, p_nju, [5, 5]).await.status,
        StatusCode::NOT_FOUND
    );
    let out_of_range = review(&app, rf, p_acme, [6, 1]).await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (token, p, scores) in [
        (rf, p_acme, [5, 5]),
        (rf, p_nju, [4, 4]),
        (rf, p_zju, [2, 3]),
        (rn, p_acme, [5, 4]),
        (rn, p_zju, [3, 3]),
    ] {
        let done = review(&app, token, p, scores).await;
        assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    }
    let allocate = |body: Value| {
        let (app, m) = (&app, c.manager.clone());
        async move {
            app.post(&format!("/api/v1/beam-calls/{call}/allocation"), &m, body)
                .await
        }
    };
    let fair = json!({"allocations": [
        {"proposal_id": p_acme, "shift_ids": [shift[0], shift[1]]},
        {"proposal_id": p_nju, "shift_ids": [shift[2], shift[3]]}]});
    let too_soon = allocate(fair.clone()).await;
    assert_eq!(too_soon.status, StatusCode::CONFLICT, "{:?}", too_soon.body);

    app.clock.set(d.reviews_due + Duration::hours(1));
    assert_eq!(
        review(&app, rf, p_zju, [5, 5]).await.status,
        StatusCode::CONFLICT
    );
    let ranked = listed(c.manager.clone()).await;
    assert_eq!(ids(&ranked), [p_acme, p_nju, p_zju], "best score first");
    assert_eq!(ranked["items"][0]["score"], 4.75);
    assert_eq!(ranked["items"][2]["score"], 2.75);
    let greedy = json!({"allocations": [
        {"proposal_id": p_acme, "shift_ids": [shift[0], shift[1]]},
        {"proposal_id": p_nju, "shift_ids": [shift[2], shift[3], shift[4]]}]});
    let refused = allocate(greedy).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("asked for 2 shifts")
    );
    assert!(
        booked(&app, beamline, d.beam_from).is_empty(),
        "nothing half-written"
    );
    assert!(letters(&app).is_empty());

    let decided = allocate(fair.clone()).await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
    let decisions: Vec<&str> = decided.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allocated", "allocated", "not_allocated"]);
    let bookings = booked(&app, beamline, d.beam_from);
    assert_eq!(bookings.len(), 4, "exactly the shifts given: {bookings:?}");
    assert!(bookings.iter().all(|(_, state)| state == "confirmed"));
    let given = &decided.body["items"][0]["allocated_shifts"];
    let first = given[0]["booking_id"].as_i64().unwrap();
    let mine = app.get(&format!("/api/v1/bookings/{first}"), acme).await;
    assert_eq!(
        mine.status,
        StatusCode::OK,
        "the proposer holds the booking"
    );
    assert_eq!(
        allocate(fair).await.status,
        StatusCode::CONFLICT,
        "allocated once"
    );

    let mail = letters(&app);
    let to: Vec<&str> = mail.iter().map(|(to, ..)| to.as_str()).collect();
    assert_eq!(to.len(), 3, "{mail:?}");
    for who in [BOOKER, "booker@nju.test", "booker@zju.test"] {
        assert!(to.contains(&who), "{who} is told");
    }
    let zju_letter = mail
        .iter()
        .find(|(to, ..)| to == "booker@zju.test")
        .unwrap();
    assert!(zju_letter.1.starts_with("机时未获分配"), "{zju_letter:?}");
    assert!(
        zju_letter.2.contains("排名第 3"),
        "told why: {zju_letter:?}"
    );
    let why = decided.body["items"][2]["decision_reason"]
        .as_str()
        .unwrap();
    assert!(
        why.starts_with("it ranked 3 of 3 with a mean score of 2.75"),
        "{why}"
    );
    let acme_letter = mail.iter().find(|(to, ..)| to == BOOKER).unwrap();
    assert!(
        acme_letter.2.contains(&format!("{first}")),
        "{acme_letter:?}"
    );
    let audited: Vec<String> = app
        .db
        .read_blocking(|c| {
            au::table
                .filter(au::subject_kind.eq_any(["beam_call", "beam_proposal"]))
                .order(au::id)
                .select(au::action)
                .load(c)
                .map_err(ServiceError::from)
        })
        .unwrap();
    assert_eq!(
        audited.first().map(String::as_str),
        Some("beam_call.opened")
    );
    assert_eq!(
        audited.last().map(String::as_str),
        Some("beam_call.allocated")
    );
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "beam_proposal.reviewed")
            .count(),
        5
    );
    a_second_call_cannot_double_book(&app, &c, (beamline, &d)).await;
}

/// A second call offering the same time on the beamline: its allocation meets the first call's
/// bookings and is refused whole.
async fn a_second_call_cannot_double_book(app: &TestApp, c: &Cast, (beamline, d): (i64, &Dates)) {
    let now = app.clock.now().duration_trunc(Duration::hours(1)).unwrap();
    let again = Dates {
        opens: now,
        closes: now + Duration::days(1),
        reviews_due: now + Duration::days(2),
        beam_from: d.beam_from,
    };
    let opened = open_call(app, c, beamline, &again).await;
    let call = opened.body["id"].as_i64().unwrap();
    let taken = opened.body["shifts"][0]["id"].as_i64().unwrap();
    let body = proposal(beamline, "Ribozyme again", 1, vec![]);
    let p = submit(app, call, &c.proposers[2], body).await;
    app.clock.set(again.reviews_due + Duration::hours(1));
    let body = json!({"allocations": [{"proposal_id": p, "shift_ids": [taken]}]});
    let path = format!("/api/v1/beam-calls/{call}/allocation");
    let refused = app.post(&path, &c.manager, body).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.code(), "slot_unavailable");
    assert_eq!(
        booked(app, beamline, d.beam_from).len(),
        4,
        "no double booking"
    );
    assert_eq!(
        letters(app).len(),
        3,
        "nobody is told of an allocation that did not happen"
    );
}

async fn calls_and_proposals_refuse_what_is_wrong(app: TestApp) {
    let c = cast(&app).await;
    let beamline = resource_id(&app, &c.manager, BEAMLINE, SARI).await;
    let d = dates();
    let reviewers = [c.reviewer_nju.0, c.reviewer_fudan.0];
    let not_theirs = app
        .post(
            "/api/v1/beam-calls",
            &c.reviewer_fudan.1,
            call_body(beamline, &d, reviewers),
        )
        .await;
    assert_eq!(
        not_theirs.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Fudan runs no SARI beamline"
    );
    let mut bad = call_body(beamline, &d, reviewers);
    bad["reviews_due_at"] = json!(d.opens);
    bad["criteria"] = json!([]);
    let refused = app.post("/api/v1/beam-calls", &c.manager, bad).await;
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["criteria", "reviews_due_at"], "{:?}", refused.body);
    let by_booker = app
        .post(
            "/api/v1/beam-calls",
            &c.proposers[0],
            call_body(beamline, &d, reviewers),
        )
        .await;
    assert_eq!(by_booker.status, StatusCode::FORBIDDEN);
    let listed = app.list_all("/api/v1/beam-calls", &c.proposers[0]).await;
    assert!(listed.is_empty(), "nothing half-written");

    app.clock.set(d.opens + Duration::hours(1));
    let opened = open_call(&app, &c, beamline, &d).await;
    let call = opened.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/beam-calls/{call}/proposals");
    let greedy = proposal(beamline, "Everything", 6, vec!["2020-01-01".into()]);
    let refused = app.post(&path, &c.proposers[0], greedy).await;
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["shifts_requested", "unavailable_dates"],
        "{:?}",
        refused.body
    );
    let by_manager = app
        .post(&path, &c.manager, proposal(beamline, "Own", 1, vec![]))
        .await;
    assert_eq!(by_manager.status, StatusCode::FORBIDDEN);
    let p = submit(
        &app,
        call,
        &c.proposers[1],
        proposal(beamline, "Transporter", 1, vec![]),
    )
    .await;
    let own = json!({"reviewer_ids": [c.reviewer_nju.0]});
    let assign = app
        .request(
            Method::PUT,
            &format!("/api/v1/beam-proposals/{p}/reviewers"),
            Some(&c.manager),
            Some(own),
        )
        .await;
    assert_eq!(
        assign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        assign.body
    );
    let other = json!({"reviewer_ids": [c.reviewer_fudan.0]});
    let assigned = app
        .request(
            Method::PUT,
            &format!("/api/v1/beam-proposals/{p}/reviewers"),
            Some(&c.manager),
            Some(other),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{:?}", assigned.body);
    assert_eq!(assigned.body["reviewer_ids"], json!([c.reviewer_fudan.0]));
}

async fn reviewers_are_told_when_reviews_open_and_reminded_before_the_deadline(app: TestApp) {
    let c = cast(&app).await;
    let beamline = resource_id(&app, &c.manager, BEAMLINE, SARI).await;
    let d = dates();
    app.clock.set(d.opens + Duration::hours(1));
    let call = open_call(&app, &c, beamline, &d).await.body["id"]
        .as_i64()
        .unwrap();
    let mut ids = Vec::new();
    for (token, title) in c
        .proposers
        .iter()
        .zip(["Kinase", "Transporter", "Ribozyme"])
    {
        ids.push(submit(&app, call, token, proposal(beamline, title, 1, vec![])).await);
    }
    let (p_acme, p_nju, p_zju) = (ids[0], ids[1], ids[2]);
    let run = |at: DateTime<Utc>| jobs::beamtime::run(&app.db, at).unwrap();
    assert_eq!(
        run(d.closes - Duration::minutes(1)),
        0,
        "not before the close"
    );
    assert_eq!(
        run(d.closes + Duration::minutes(1)),
        2,
        "one letter to each reviewer"
    );
    assert_eq!(run(d.closes + Duration::minutes(2)), 0, "each told once");
    let asks = |text: &str, p: i64| text.contains(&format!("/api/v1/beam-proposals/{p}/review"));
    let mail = letters(&app);
    let to_nju = &mail
        .iter()
        .find(|(to, ..)| to == "reviewer@nju.test")
        .unwrap()
        .2;
    assert!(
        asks(to_nju, p_acme) && asks(to_nju, p_zju) && !asks(to_nju, p_nju),
        "{to_nju}"
    );
    let to_fudan = &mail.iter().find(|(to, ..)| to == MANAGER).unwrap().2;
    assert!(
        [p_acme, p_nju, p_zju].iter().all(|p| asks(to_fudan, *p)),
        "{to_fudan}"
    );

    app.clock.set(d.closes + Duration::hours(1));
    let (rn, rf) = (&c.reviewer_nju.1, &c.reviewer_fudan.1);
    for (token, p) in [(rf, p_acme), (rf, p_nju), (rf, p_zju), (rn, p_acme)] {
        assert_eq!(review(&app, token, p, [4, 4]).await.status, StatusCode::OK);
    }
    let before = d.reviews_due - jobs::beamtime::REMIND_BEFORE;
    assert_eq!(run(before - Duration::minutes(1)), 0);
    assert_eq!(
        run(before + Duration::hours(1)),
        1,
        "only whoever has proposals left"
    );
    let mail = letters(&app);
    let (to, _, text) = mail.last().unwrap();
    assert_eq!(to, "reviewer@nju.test");
    assert!(asks(text, p_zju) && !asks(text, p_acme), "{text}");
    assert_eq!(
        run(d.reviews_due + Duration::minutes(1)),
        0,
        "not after the deadline"
    );
}

on_both_backends!(
    a_call_is_reviewed_and_allocated_into_bookings,
    reviewers_are_told_when_reviews_open_and_reminded_before_the_deadline,
    calls_and_proposals_refuse_what_is_wrong,
);
