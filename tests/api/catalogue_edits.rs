//! Managers editing the catalogue: create, If-Match edits, retire, import, hours, blackouts.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::*;
use crate::on_both_backends;

fn new_resource() -> Value {
    json!({
        "kind": "instrument", "name_en": "Raman microscope", "name_zh": "拉曼显微镜", "category": "analytical",
        "original_value_cny": 1800000, "jurisdiction_code": "310100", "location": "Jiangwan campus, building 2",
        "specs": {"laser_nm": 532, "vendor": "Horiba"},
        "rates": {"internal": 3000, "academic": 6000, "enterprise": 12000},
        "booking_rules": {"granularity_min": 30, "max_duration_min": 240, "setup_min": 15}
    })
}

/// The id of a demo resource owned by `institution`.
async fn resource_of(app: &TestApp, token: &str, institution: &str) -> i64 {
    let all = app.list_all("/api/v1/resources?limit=200", token).await;
    all.iter()
        .find(|r| r["institution"]["name_en"] == institution)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn resource_count(app: &TestApp) -> usize {
    let admin = app.login(ADMIN).await;
    app.list_all("/api/v1/resources?limit=200", &admin)
        .await
        .len()
}

async fn manager_creates_and_edits_with_if_match(app: TestApp) {
    let m = app.login(MANAGER).await;
    let created = app.post("/api/v1/resources", &m, new_resource()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["institution"]["name_en"], "Fudan University");
    assert_eq!(created.body["booking_rules"]["min_duration_min"], 30);
    assert_eq!(created.body["booking_rules"]["setup_min"], 15);
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/resources/{id}");
    let etag = created.header("etag").unwrap();

    let no_if_match = app
        .request(
            Method::PATCH,
            &path,
            Some(&m),
            Some(json!({"name_en": "Raman"})),
        )
        .await;
    assert_eq!(no_if_match.status, StatusCode::PRECONDITION_REQUIRED);

    let horiba = |found: Vec<Value>| found.iter().any(|r| r["id"] == id);
    assert!(horiba(app.list_all("/api/v1/resources?q=horiba", &m).await));
    let patch = json!({"name_en": "Confocal Raman microscope", "rates": {"enterprise": 15000}, "specs": {"vendor": null}});
    let updated = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&m),
            Some(patch),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["name_en"], "Confocal Raman microscope");
    assert_eq!(
        updated.body["rates"],
        json!({"internal": 3000, "academic": 6000, "enterprise": 15000, "per": "unit_hour"})
    );
    assert_eq!(updated.body["specs"], json!({"laser_nm": 532}));
    assert_ne!(updated.header("etag").unwrap(), etag);

    let stale = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&m),
            Some(json!({"capacity": 2})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.code(), "precondition_failed");
    let unchanged = app.get(&path, &m).await;
    assert_eq!(unchanged.body["capacity"], 1, "a stale edit writes nothing");

    let search = app
        .list_all("/api/v1/resources?q=confocal%20raman", &m)
        .await;
    assert_eq!(search.len(), 1, "search sees the edit");
    assert!(
        !horiba(app.list_all("/api/v1/resources?q=horiba", &m).await),
        "and no longer finds the vendor the edit removed"
    );
}

async fn invalid_resources_name_every_field(app: TestApp) {
    let m = app.login(MANAGER).await;
    let mut body = new_resource();
    body["timezone"] = json!("Asia/Atlantis");
    body["capacity"] = json!(0);
    body["booking_rules"] = json!({"granularity_min": 7});
    body["jurisdiction_code"] = json!("999999");
    let resp = app.post("/api/v1/resources", &m, body).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "timezone",
        "capacity",
        "booking_rules.granularity_min",
        "jurisdiction_code",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    assert_eq!(resource_count(&app).await, 28, "nothing written");
}

async fn manager_cannot_edit_another_institution(app: TestApp) {
    let m = app.login(MANAGER).await;
    let zju = resource_of(&app, &m, "Zhejiang University").await;
    let path = format!("/api/v1/resources/{zju}");
    let resp = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&m),
            Some(json!({"name_en": "Mine now"})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let retire = app
        .post(&format!("{path}/retire"), &m, json!({"reason": "no"}))
        .await;
    assert_eq!(retire.status, StatusCode::FORBIDDEN);
    let hours = app
        .request(
            Method::PUT,
            &format!("{path}/opening-hours"),
            Some(&m),
            Some(json!({"weekly": []})),
        )
        .await;
    assert_eq!(hours.status, StatusCode::FORBIDDEN);
    let mut body = new_resource();
    body["organization_id"] = app.get(&path, &m).await.body["institution"]["id"].clone();
    assert_eq!(
        app.post("/api/v1/resources", &m, body).await.status,
        StatusCode::FORBIDDEN
    );
    assert_ne!(app.get(&path, &m).await.body["name_en"], "Mine now");
}

async fn booker_cannot_create_resources(app: TestApp) {
    let b = app.login(BOOKER).await;
    let resp = app.post("/api/v1/resources", &b, new_resource()).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert_eq!(resp.code(), "forbidden");
    let empty = app.post("/api/v1/resources", &b, json!({})).await;
    assert_eq!(
        empty.status,
        StatusCode::FORBIDDEN,
        "the role is checked before the body"
    );
    let op = app.login(OPERATOR).await;
    assert_eq!(
        app.post("/api/v1/resources", &op, new_resource())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(resource_count(&app).await, 28);
}

async fn retired_resources_leave_the_default_list(app: TestApp) {
    let m = app.login(MANAGER).await;
    let id = resource_of(&app, &m, "Fudan University").await;
    let path = format!("/api/v1/resources/{id}");
    let empty = app
        .post(&format!("{path}/retire"), &m, json!({"reason": " "}))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let retired = app
        .post(
            &format!("{path}/retire"),
            &m,
            json!({"reason": "replaced by a newer model"}),
        )
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{:?}", retired.body);
    assert_eq!(retired.body["status"], "retired");
    assert_eq!(resource_count(&app).await, 27);
    let listed = app.list_all("/api/v1/resources?status=retired", &m).await;
    assert_eq!(listed.len(), 1);
    let edit = app
        .request_with(
            Method::PATCH,
            &path,
            Some(&m),
            Some(json!({"name_en": "x"})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    assert_eq!(edit.code(), "resource_retired");
}

const HEADER: &str = "kind,name_en,name_zh,institution_en,institution_zh,province,city,category,capacity,unit,granularity_min,timezone,rate_internal,rate_academic,rate_enterprise,value_cny,approval,conflict_policy,specs\n";

async fn import_with_one_bad_row_writes_nothing(app: TestApp) {
    let m = app.login(MANAGER).await;
    let good = "instrument,TGA analyser,热重分析仪,Fudan University,复旦大学,SH,Shanghai,analytical,1,instrument,30,Asia/Shanghai,1000,2000,4000,800000,auto,first_come,max_temp_c=1000\n";
    let bad = "instrument,DSC,差示扫描量热仪,Fudan University,复旦大学,SH,Shanghai,analytical,one,instrument,30,Asia/Shanghai,1000,2000,4000,700000,auto,first_come,\n";
    let foreign = "instrument,XRD,X射线衍射仪,Zhejiang University,浙江大学,ZJ,Hangzhou,analytical,1,instrument,30,Asia/Shanghai,1000,2000,4000,700000,auto,first_come,\n";
    let text = format!("{HEADER}{good}{bad}{good}{foreign}");
    let resp = app
        .send_raw(
            Method::POST,
            "/api/v1/resources/import",
            Some(&m),
            "text/csv",
            text.into_bytes(),
        )
        .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        resp.body
    );
    assert_eq!(resp.code(), "import_failed");
    let errors = resp.body["errors"].as_array().unwrap();
    assert_eq!(
        errors.len(),
        1,
        "format errors are reported before ownership: {errors:?}"
    );
    assert_eq!(errors[0]["line"], 3);
    assert!(errors[0]["message"].as_str().unwrap().contains("capacity"));
    assert_eq!(
        resource_count(&app).await,
        28,
        "nothing of a failed import is written"
    );

    let text = format!("{HEADER}{good}{foreign}");
    let resp = app
        .send_raw(
            Method::POST,
            "/api/v1/resources/import",
            Some(&m),
            "text/csv",
            text.into_bytes(),
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.body["errors"][0]["line"], 3);
    assert!(
        resp.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not your institution")
    );
    assert_eq!(resource_count(&app).await, 28);

    let text = format!("{HEADER}{good}");
    let resp = app
        .send_raw(
            Method::POST,
            "/api/v1/resources/import",
            Some(&m),
            "text/csv",
            text.into_bytes(),
        )
        .await;
    assert_eq!(resp.status, StatusCode::CREATED, "{:?}", resp.body);
    assert_eq!(resp.body["imported"], 1);
    assert_eq!(resource_count(&app).await, 29);
    let wrong_type = app
        .send_raw(
            Method::POST,
            "/api/v1/resources/import",
            Some(&m),
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn opening_hours_round_trip(app: TestApp) {
    let m = app.login(MANAGER).await;
    let id = resource_of(&app, &m, "Fudan University").await;
    let path = format!("/api/v1/resources/{id}/opening-hours");
    let default = app.get(&path, &m).await;
    assert_eq!(default.body["timezone"], "Asia/Shanghai");
    assert_eq!(default.body["weekly"].as_array().unwrap().len(), 5);
    let hours = json!({
        "weekly": [{"weekday": "mon", "start": "08:00", "end": "12:00"}, {"weekday": "mon", "start": "13:00", "end": "24:00"},
                   {"weekday": "sat", "start": "09:00", "end": "17:30"}],
        "exceptions": [{"date": "2027-01-01", "reason": "New Year"},
                       {"date": "2027-02-06", "start": "09:00", "end": "12:00", "reason": "Spring Festival make-up day"}]
    });
    let put = app
        .request(Method::PUT, &path, Some(&m), Some(hours.clone()))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let got = app.get(&path, &m).await;
    assert_eq!(got.body["weekly"], hours["weekly"]);
    assert_eq!(
        got.body["exceptions"][0],
        json!({"date": "2027-01-01", "start": null, "end": null, "reason": "New Year"})
    );

    let overlapping = json!({"weekly": [{"weekday": "tue", "start": "08:00", "end": "12:00"}, {"weekday": "tue", "start": "11:00", "end": "13:00"}]});
    let resp = app
        .request(Method::PUT, &path, Some(&m), Some(overlapping))
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.body["detail"].as_str().unwrap().contains("tue"));
    let bad_time = json!({"weekly": [{"weekday": "tue", "start": "8am", "end": "12:00"}, {"weekday": "funday", "start": "08:00", "end": "09:00"}]});
    let resp = app
        .request(Method::PUT, &path, Some(&m), Some(bad_time))
        .await;
    let fields: Vec<&str> = resp.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["weekly[0].start", "weekly[1].weekday"]);
    assert_eq!(
        app.get(&path, &m).await.body["weekly"],
        hours["weekly"],
        "rejected edits write nothing"
    );
}

async fn blackouts_are_managed(app: TestApp) {
    let m = app.login(MANAGER).await;
    let id = resource_of(&app, &m, "Fudan University").await;
    let path = format!("/api/v1/resources/{id}/blackouts");
    let body = json!({"start": "2027-03-01T08:00:00+08:00", "end": "2027-03-03T18:00:00+08:00", "reason": "annual service"});
    let created = app.post(&path, &m, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(
        created.body["start"], "2027-03-01T00:00:00Z",
        "stored and returned in UTC"
    );
    let no_offset = app
        .post(
            &path,
            &m,
            json!({"start": "2027-03-01T08:00:00", "end": "2027-03-02T08:00:00", "reason": "x"}),
        )
        .await;
    assert_eq!(no_offset.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_offset.body["errors"][0]["field"], "start");
    let inverted = app
        .post(
            &path,
            &m,
            json!({"start": "2027-03-02T08:00:00Z", "end": "2027-03-01T08:00:00Z", "reason": "x"}),
        )
        .await;
    assert_eq!(inverted.body["errors"][0]["field"], "end");
    let b = app.login(BOOKER).await;
    let listed = app.get(&path, &b).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let denied = app
        .post(
            &path,
            &b,
            json!({"start": "2027-04-01T08:00:00Z", "end": "2027-04-02T08:00:00Z", "reason": "x"}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let bid = created.body["id"].as_i64().unwrap();
    let deleted = app
        .request(Method::DELETE, &format!("{path}/{bid}"), Some(&m), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .request(Method::DELETE, &format!("{path}/{bid}"), Some(&m), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

on_both_backends!(
    manager_creates_and_edits_with_if_match,
    invalid_resources_name_every_field,
    manager_cannot_edit_another_institution,
    booker_cannot_create_resources,
    retired_resources_leave_the_default_list,
    import_with_one_bad_row_writes_nothing,
    opening_hours_round_trip,
    blackouts_are_managed
);
