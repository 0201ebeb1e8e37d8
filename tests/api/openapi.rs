//! `openapi.yaml` and the server agree on every route, in both directions.

use std::collections::BTreeSet;

use instrument_booking::app::ROUTES;

fn spec() -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(instrument_booking::http::handlers::ops::OPENAPI)
        .expect("openapi.yaml parses")
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let spec = spec();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for method in item.as_mapping().unwrap().keys() {
            let method = method.as_str().unwrap();
            if ["get", "post", "put", "patch", "delete"].contains(&method) {
                documented.insert((method.to_owned(), path.as_str().unwrap().to_owned()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
}

#[test]
fn the_problem_codes_in_the_spec_are_the_servers() {
    let spec = spec();
    let documented: BTreeSet<String> =
        spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
    let served: BTreeSet<String> = instrument_booking::error::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(documented, served);
}

#[test]
fn every_operation_has_an_operation_id_named_like_its_handler() {
    let spec = spec();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            if method.as_str() == Some("parameters") {
                continue;
            }
            let id = op["operationId"].as_str();
            assert!(id.is_some(), "{method:?} {path:?} has no operationId");
            assert!(!op["responses"].as_mapping().unwrap().is_empty());
        }
    }
}
