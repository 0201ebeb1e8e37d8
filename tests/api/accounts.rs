//! Organisations, users and roles: admins manage, others see what they may.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

fn org_body(uscc: &str) -> serde_json::Value {
    json!({"kind": "enterprise", "name_en": "Hefei Quantum Sensors Ltd", "name_zh": "合肥量子传感有限公司",
           "jurisdiction_code": "340100", "uscc": uscc})
}

async fn bad_uscc_is_rejected_with_reason(app: TestApp) {
    let admin = app.login(ADMIN).await;
    let wrong_check = app
        .post(
            "/api/v1/organizations",
            &admin,
            org_body("91350100M000100Y44"),
        )
        .await;
    assert_eq!(wrong_check.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_check.code(), "validation_failed");
    assert_eq!(wrong_check.body["errors"][0]["field"], "uscc");
    let message = wrong_check.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("check character") && message.contains("'3'"),
        "{message}"
    );

    let bad_char = app
        .post(
            "/api/v1/organizations",
            &admin,
            org_body("91350100M0001I0Y43"),
        )
        .await;
    assert!(
        bad_char.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("'I'")
    );
    let short = app
        .post("/api/v1/organizations", &admin, org_body("9135"))
        .await;
    assert!(
        short.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("18 characters")
    );

    // A valid code, but registered in Fujian (35): not in Anhui, where Hefei is.
    let elsewhere = app
        .post(
            "/api/v1/organizations",
            &admin,
            org_body("91350100M000100Y43"),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = elsewhere.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("not in Anhui"), "{message}");
    let mut none = org_body("");
    none["uscc"] = json!(null);
    let missing = app.post("/api/v1/organizations", &admin, none).await;
    assert_eq!(
        missing.body["errors"][0]["field"], "uscc",
        "{:?}",
        missing.body
    );

    let code = instrument_booking::domain::uscc::complete("91340100MA2QT0001");
    let good = app
        .post("/api/v1/organizations", &admin, org_body(&code))
        .await;
    assert_eq!(good.status, StatusCode::CREATED, "{:?}", good.body);
    assert_eq!(good.body["uscc"], code);
    let again = app
        .post("/api/v1/organizations", &admin, org_body(&code))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

async fn only_admins_manage_organizations(app: TestApp) {
    for who in [MANAGER, OPERATOR, BOOKER, ISSUER] {
        let token = app.login(who).await;
        let resp = app
            .post(
                "/api/v1/organizations",
                &token,
                org_body("91350100M000100Y43"),
            )
            .await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(resp.code(), "forbidden");
    }
}

async fn enterprises_are_private(app: TestApp) {
    let manager = app.login(MANAGER).await;
    let booker = app.login(BOOKER).await;
    let me = app.get("/api/v1/me", &booker).await;
    let acme = me.body["organization_id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/organizations/{acme}"), &booker)
            .await
            .status,
        StatusCode::OK
    );
    let hidden = app
        .get(&format!("/api/v1/organizations/{acme}"), &manager)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let listed = app
        .list_all("/api/v1/organizations?limit=5", &manager)
        .await;
    assert!(listed.iter().all(|o| o["kind"] != "enterprise"));
    assert!(listed.iter().any(|o| o["name_en"] == "Fudan University"));
    let admin = app.login(ADMIN).await;
    let all = app
        .list_all("/api/v1/organizations?kind=enterprise", &admin)
        .await;
    assert_eq!(all.len(), 1);
    let in_js = app
        .list_all("/api/v1/organizations?province=JS", &admin)
        .await;
    assert!(
        in_js
            .iter()
            .all(|o| o["jurisdiction_code"].as_str().unwrap().starts_with("32"))
    );
    assert!(!in_js.is_empty());
}

async fn admin_creates_users_with_consistent_roles(app: TestApp) {
    let admin = app.login(ADMIN).await;
    let orgs = app
        .list_all("/api/v1/organizations?kind=institution", &admin)
        .await;
    let zju = orgs
        .iter()
        .find(|o| o["name_en"] == "Zhejiang University")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let acme = app
        .list_all("/api/v1/organizations?kind=enterprise", &admin)
        .await[0]["id"]
        .as_i64()
        .unwrap();

    let body = |email: &str, role: &str, org: i64| json!({"email": email, "password": "a-long-password", "role": role, "organization_id": org, "locale": "en"});
    let wrong_kind = app
        .post("/api/v1/users", &admin, body("m@zju.test", "manager", acme))
        .await;
    assert_eq!(wrong_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong_kind.body["detail"]
            .as_str()
            .unwrap()
            .contains("institution")
    );
    let bad_email = app
        .post(
            "/api/v1/users",
            &admin,
            body("not-an-email", "manager", zju),
        )
        .await;
    assert_eq!(bad_email.body["errors"][0]["field"], "email");
    let short_pw = app
        .post("/api/v1/users", &admin, json!({"email": "x@zju.test", "password": "short", "role": "manager", "organization_id": zju}))
        .await;
    assert_eq!(short_pw.body["errors"][0]["field"], "password");

    let created = app
        .post(
            "/api/v1/users",
            &admin,
            body("Manager@ZJU.test", "manager", zju),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "manager@zju.test");
    let dup = app
        .post(
            "/api/v1/users",
            &admin,
            body("manager@zju.test", "manager", zju),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);

    let login = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "manager@zju.test", "password": "a-long-password"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);

    let id = created.body["id"].as_i64().unwrap();
    let deactivated = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(deactivated.status, StatusCode::OK);
    assert_eq!(deactivated.body["active"], false);
    let refused = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": "manager@zju.test", "password": "a-long-password"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

async fn managers_see_only_their_staff(app: TestApp) {
    let manager = app.login(MANAGER).await;
    let staff = app
        .list_all("/api/v1/users?organization_id=1", &manager)
        .await;
    let emails: Vec<&str> = staff.iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, vec![MANAGER, OPERATOR]);
    let booker = app.login(BOOKER).await;
    let me = app.get("/api/v1/me", &booker).await;
    let booker_id = me.body["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/users/{booker_id}"), &manager)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{booker_id}"), &booker)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/users", &booker).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn jurisdictions_are_listed(app: TestApp) {
    let booker = app.login(BOOKER).await;
    let all = app
        .list_all("/api/v1/jurisdictions?limit=10", &booker)
        .await;
    assert_eq!(all.iter().filter(|j| j["level"] == "province").count(), 4);
    let anhui = app
        .list_all("/api/v1/jurisdictions?province=AH", &booker)
        .await;
    assert_eq!(anhui.len(), 17, "Anhui and its 16 prefecture-level cities");
}

async fn users_change_their_own_language_and_password(app: TestApp) {
    let t = app.login(OPERATOR).await;
    let en = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"locale": "en", "display_name": "Li Wei"})),
        )
        .await;
    assert_eq!(en.status, StatusCode::OK, "{:?}", en.body);
    assert_eq!(en.body["locale"], "en");
    assert_eq!(en.body["display_name"], "Li Wei");
    assert_eq!(en.body["organization"]["name_en"], "Fudan University");

    let no_proof = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"password": "a-brand-new-password"})),
        )
        .await;
    assert_eq!(no_proof.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_proof.body["errors"][0]["field"], "current_password");
    let changed = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"password": "a-brand-new-password", "current_password": PASSWORD})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let old = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": OPERATOR, "password": PASSWORD})),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"email": OPERATOR, "password": "a-brand-new-password"})),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
    let stale = app.get("/api/v1/me", &t).await;
    assert_eq!(
        stale.status,
        StatusCode::UNAUTHORIZED,
        "a password change ends the tokens signed before it"
    );
    let t = new.body["access_token"].as_str().unwrap().to_owned();
    let role = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&t),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(
        role.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nobody promotes themselves"
    );
}

on_both_backends!(
    users_change_their_own_language_and_password,
    bad_uscc_is_rejected_with_reason,
    only_admins_manage_organizations,
    enterprises_are_private,
    admin_creates_users_with_consistent_roles,
    managers_see_only_their_staff,
    jurisdictions_are_listed
);
