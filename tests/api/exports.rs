//! CSV exports that are safe to open in a spreadsheet: no cell a spreadsheet would run as a
//! formula, negative numbers still numbers, and a byte-order mark unless `bom=false`.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::*;
use crate::on_both_backends;

/// Every cell of a CSV document, as a spreadsheet would read it (after any byte-order mark).
pub fn cells(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// No cell starts as a formula does, unless it is a plain number.
pub fn assert_no_formula(cells: &[String]) {
    for c in cells {
        let formula = c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.parse::<f64>().is_err();
        assert!(!formula, "a spreadsheet would run {c:?}");
    }
}

async fn report_csvs_carry_no_formulas(app: TestApp) {
    let m = app.login(MANAGER).await;
    let body = json!({"kind": "instrument", "name_en": "=HYPERLINK(\"http://evil.example\",\"x\")",
        "name_zh": "+SUM(A1:A9)", "category": "-2+3", "original_value_cny": 600000, "jurisdiction_code": "310100",
        "rates": {"internal": 1, "academic": 2, "enterprise": 3}});
    let made = app.post("/api/v1/resources", &m, body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let day = chrono::Utc::now().date_naive();
    let path = format!("/api/v1/reports/sharing?from={day}&to={day}&format=csv");
    let csv = app.get(&path, &m).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "a byte-order mark by default");
    let cells = cells(text);
    assert!(
        cells.contains(&"'=HYPERLINK(\"http://evil.example\",\"x\")".to_owned()),
        "{text}"
    );
    assert!(cells.contains(&"'+SUM(A1:A9)".to_owned()), "{text}");
    assert_no_formula(&cells);
    let plain = app
        .request(Method::GET, &format!("{path}&bom=false"), Some(&m), None)
        .await;
    assert!(
        plain.body.as_str().unwrap().starts_with("key,"),
        "bom=false leaves it out"
    );
}

on_both_backends!(report_csvs_carry_no_formulas);
