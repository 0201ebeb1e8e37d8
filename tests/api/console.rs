//! The console's guarantees below what a browser test sees: the session cookie and its end, form
//! tokens and origins, errors beside their fields in the user's language, the sign-in limits of
//! the API, tenancy, escaping, and a console action in a booking's history like an API one.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use chrono::{Duration, DurationRound, Utc};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

/// A browser without JavaScript: it keeps cookies and does not follow redirects.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    origin: Option<String>,
    /// What a TLS-terminating proxy in front would add.
    forwarded_proto: Option<&'static str>,
}

struct Page {
    status: StatusCode,
    location: String,
    set_cookies: Vec<String>,
    body: String,
}

impl Page {
    /// The form token the page's forms carry.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form token")
            + 19;
        self.body[at..].split('"').next().unwrap_or("").to_owned()
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookies: BTreeMap::new(),
            origin: None,
            forwarded_proto: None,
        }
    }

    async fn send(&mut self, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let client = awc::Client::builder().disable_redirects().finish();
        let url = format!("{}{path}", self.app.base);
        let mut req = match form {
            Some(_) => client.post(url),
            None => client.get(url),
        };
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !jar.is_empty() {
            req = req.insert_header(("Cookie", jar.join("; ")));
        }
        if let Some(o) = &self.origin {
            req = req.insert_header(("Origin", o.clone()));
        }
        if let Some(p) = self.forwarded_proto {
            req = req.insert_header(("X-Forwarded-Proto", p));
        }
        let mut resp = match form {
            Some(f) => req.send_form(&f).await,
            None => req.send().await,
        }
        .expect("request sent");
        let body = resp.body().limit(4 << 20).await.expect("body");
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Page {
            status: resp.status(),
            location: resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            set_cookies,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(path, Some(form)).await
    }

    /// Signs in through the form; returns the answer to the form.
    async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in?lang=en").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        let fields = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/console/queue"),
            ("lang", ""),
        ];
        self.post("/console/sign-in", &fields).await
    }

    async fn signed_in(app: &'a TestApp, email: &str) -> Browser<'a> {
        let mut b = Browser::new(app);
        let done = b.sign_in(email, PASSWORD).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        b
    }
}

/// Two overlapping requests on a manual resource Fudan's operator runs; their ids.
async fn pending_pair(app: &TestApp, purpose: &str) -> (i64, i64) {
    let m = app.login(MANAGER).await;
    let operator = app.get("/api/v1/me", &app.login(OPERATOR).await).await.body["id"].clone();
    let body = json!({"kind": "instrument", "name_en": "Console test NMR", "name_zh": "控制台测试核磁",
        "category": "analytical", "original_value_cny": 3000000, "jurisdiction_code": "310100",
        "capacity": 1, "unit": "instrument", "approval_policy": "manual",
        "conflict_policy": "operator_choice", "operator_ids": [operator],
        "rates": {"internal": 1, "academic": 2, "enterprise": 10000},
        "booking_rules": {"granularity_min": 30, "lead_time_min": 0}});
    let made = app.post("/api/v1/resources", &m, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let id = made.body["id"].as_i64().unwrap();
    app.open_around_the_clock(id, &m).await;
    let t = app.login(BOOKER).await;
    let start = Utc::now().duration_trunc(Duration::minutes(30)).unwrap() + Duration::days(2);
    let mut ids = Vec::new();
    for shift in [0, 1] {
        let s = start + Duration::hours(shift);
        let body = json!({"resource_id": id, "start": s.to_rfc3339(),
            "end": (s + Duration::hours(2)).to_rfc3339(), "purpose": purpose});
        let r = app.post("/api/v1/bookings", &t, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    (ids[0], ids[1])
}

async fn state_of(app: &TestApp, id: i64) -> String {
    let a = app.login(ADMIN).await;
    let b = app.get(&format!("/api/v1/bookings/{id}"), &a).await;
    b.body["state"].as_str().unwrap_or("").to_owned()
}

async fn the_session_cookie_is_protected_and_ends_on_sign_out(app: TestApp) {
    let mut b = Browser::new(&app);
    let form = b.get("/console/sign-in").await;
    assert!(form.body.contains("name=\"email\"") && form.body.contains("name=\"password\""));
    let done = b.sign_in(OPERATOR, PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location, "/console/queue");
    let session = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("ib_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/console"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    let kept = b.cookies.clone();
    assert_eq!(b.get("/console/queue").await.status, StatusCode::OK);
    let page = b.get("/console/queue").await;
    let out = b.post("/console/sign-out", &[("csrf", &page.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    // The old cookie, replayed, no longer opens anything: the session is gone on the server.
    b.cookies = kept;
    let after = b.get("/console/queue").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location, "/console/sign-in?next=%2Fconsole%2Fqueue");
    let mut behind_tls = Browser::new(&app);
    behind_tls.forwarded_proto = Some("https");
    let done = behind_tls.sign_in(OPERATOR, PASSWORD).await;
    let session = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("ib_session="));
    assert!(
        session.is_some_and(|c| c.contains("Secure")),
        "{:?}",
        done.set_cookies
    );
}

async fn a_form_without_its_token_or_from_another_site_changes_nothing(app: TestApp) {
    let (first, _) = pending_pair(&app, "forged form test").await;
    let mut b = Browser::signed_in(&app, OPERATOR).await;
    let path = format!("/console/bookings/{first}/approve");
    let forged = b.post(&path, &[("csrf", "not-the-token")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let csrf = b.get("/console/queue").await.csrf();
    b.origin = Some("https://elsewhere.example".into());
    let cross = b.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&app, first).await, "pending");
    b.origin = Some(app.base.clone());
    let approved = b.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(
        approved.location,
        format!("/console/queue?done=approved&id={first}")
    );
    assert_eq!(state_of(&app, first).await, "confirmed");
}

async fn a_console_approval_is_in_the_history_like_an_api_one(app: TestApp) {
    let (first, second) = pending_pair(&app, "history test").await;
    let mut b = Browser::signed_in(&app, OPERATOR).await;
    let csrf = b.get("/console/queue").await.csrf();
    let path = format!("/console/bookings/{first}/approve");
    assert_eq!(
        b.post(&path, &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    let a = app.login(ADMIN).await;
    let me = app.get("/api/v1/me", &app.login(OPERATOR).await).await;
    let history = app
        .get(&format!("/api/v1/bookings/{first}/history"), &a)
        .await;
    let last = history.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["to_state"], "confirmed", "{last}");
    assert_eq!(last["actor_id"], me.body["id"], "{last}");
    let other = app
        .get(&format!("/api/v1/bookings/{second}/history"), &a)
        .await;
    let last = other.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["to_state"], "rejected", "{last}");
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .contains(&first.to_string())
    );
}

async fn a_refusal_is_shown_beside_its_field_in_the_users_language(app: TestApp) {
    let (first, _) = pending_pair(&app, "refusal test").await;
    // The operator reads Chinese (their account's language) unless they switch.
    let mut b = Browser::signed_in(&app, OPERATOR).await;
    b.cookies.remove("ib_lang");
    let csrf = b.get("/console/queue").await.csrf();
    let path = format!("/console/bookings/{first}/reject");
    let refused = b.post(&path, &[("csrf", &csrf), ("reason", "  ")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = format!("id=\"reason-{first}-error\" data-error=\"reason\">");
    let at = refused
        .body
        .find(&beside)
        .expect("the error beside the reason field");
    let shown = &refused.body[at + beside.len()..];
    let text = shown.split('<').next().unwrap();
    assert!(
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{text}"
    );
    assert!(refused.body.contains("lang=\"zh-CN\""));
    assert_eq!(state_of(&app, first).await, "pending", "nothing written");
}

async fn sign_in_is_held_to_the_apis_limits(app: TestApp) {
    let mut b = Browser::new(&app);
    let wrong = b.sign_in(BOOKER, "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("data-error"), "{}", wrong.body);
    let mut last = wrong.status;
    for _ in 0..6 {
        last = b.sign_in(BOOKER, "not-the-password").await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // The API counts the same failures.
    let api = app
        .request(
            actix_web::http::Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": BOOKER, "password": PASSWORD})),
        )
        .await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn pages_keep_to_the_viewers_tenancy_and_escape_what_users_wrote(app: TestApp) {
    let (first, _) = pending_pair(&app, "<script>alert(1)</script>").await;
    let mut op = Browser::signed_in(&app, OPERATOR).await;
    let queue = op.get("/console/queue").await;
    assert!(
        queue
            .body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || queue.body.contains("&lt;script&gt;")
    );
    assert!(!queue.body.contains("<script>alert"));
    // A booking on another institution's resource is not there for Fudan's staff.
    let t = app.login(BOOKER).await;
    let others = app
        .list_all("/api/v1/resources?province=JS&kind=instrument", &t)
        .await;
    let elsewhere = others[0]["id"].as_i64().unwrap();
    let page = op
        .get(&format!("/console/resources/{elsewhere}/blackouts"))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let mut mgr = Browser::signed_in(&app, MANAGER).await;
    let page = mgr
        .get(&format!("/console/resources/{elsewhere}/blackouts"))
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    let page = mgr.get(&format!("/console/bookings/{first}")).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "Fudan's manager sees Fudan's booking"
    );
    let mut issuer = Browser::signed_in(&app, ISSUER).await;
    let page = issuer.get(&format!("/console/bookings/{first}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

async fn the_console_sends_nobody_off_site(app: TestApp) {
    let mut b = Browser::new(&app);
    let page = b.get("/console/bookings").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/console/sign-in?next=%2Fconsole%2Fbookings");
    let form = b
        .get("/console/sign-in?next=https://elsewhere.example/")
        .await;
    let fields = [
        ("csrf", form.csrf()),
        ("email", BOOKER.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("next", "//elsewhere.example/".to_owned()),
        ("lang", String::new()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = b.post("/console/sign-in", &fields).await;
    assert_eq!(done.location, "/console");
}

async fn an_issuer_agrees_to_and_pays_a_statement_on_the_page(app: TestApp) {
    use crate::statements::{captured, jiangsu, period};
    let (_, day) = captured(&app, "Console statement XRD").await;
    let agency = jiangsu(&app, day).await;
    let m = app.login(MANAGER).await;
    let issued = app
        .post("/api/v1/settlement-statements", &m, period(agency, day))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let id = issued.body["id"].as_i64().unwrap();
    let mut js = Browser::signed_in(&app, JS_ISSUER).await;
    let list = js.get("/console/programmes").await;
    assert!(
        list.body
            .contains(&format!("data-statement=\"{id}\" data-status=\"issued\""))
    );
    let csrf = list.csrf();
    let agreed = js
        .post(
            &format!("/console/statements/{id}/agree"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(agreed.status, StatusCode::SEE_OTHER, "{}", agreed.body);
    let pay = format!("/console/statements/{id}/pay");
    let blank = js.post(&pay, &[("csrf", &csrf), ("note", " ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body.contains("data-error=\"note\""), "{}", blank.body);
    let paid = js
        .post(&pay, &[("csrf", &csrf), ("note", "JS-TREASURY-0042")])
        .await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    let now = app
        .get(&format!("/api/v1/settlement-statements/{id}"), &m)
        .await;
    assert_eq!(now.body["status"], "paid", "{:?}", now.body);
    assert_eq!(now.body["payment_reference"], "JS-TREASURY-0042");
    // The Shanghai agency is no party to it: its page does not list it, nor may it act.
    let mut sh = Browser::signed_in(&app, ISSUER).await;
    let theirs = sh.get("/console/programmes").await;
    assert!(!theirs.body.contains(&format!("data-statement=\"{id}\"")));
    let refused = sh
        .post(
            &format!("/console/statements/{id}/dispute"),
            &[("csrf", &theirs.csrf()), ("note", "no")],
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
}

on_both_backends!(
    an_issuer_agrees_to_and_pays_a_statement_on_the_page,
    the_session_cookie_is_protected_and_ends_on_sign_out,
    a_form_without_its_token_or_from_another_site_changes_nothing,
    a_console_approval_is_in_the_history_like_an_api_one,
    a_refusal_is_shown_beside_its_field_in_the_users_language,
    sign_in_is_held_to_the_apis_limits,
    pages_keep_to_the_viewers_tenancy_and_escape_what_users_wrote,
    the_console_sends_nobody_off_site
);

#[test]
fn every_page_of_the_console_is_documented() {
    let doc = include_str!("../../docs/console.md");
    for (method, path) in instrument_booking::console::ROUTES {
        let line = format!("`{} {path}`", method.to_uppercase());
        assert!(doc.contains(&line), "docs/console.md does not list {line}");
    }
}
