//! Settlement statements for issuers, provider institutions and admins, as JSON or CSV.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{csv_file, ok, with_bom};
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::months;
use crate::error::ServiceError;
use crate::http::dto::reports::{Period, Settlement};
use crate::http::read;
use crate::settlements;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementQuery {
    from: NaiveDate,
    to: NaiveDate,
    program_id: Option<i64>,
    issuer_id: Option<i64>,
    provider_id: Option<i64>,
    format: Option<Format>,
    bom: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

/// Every captured amount in a period with its booking and provinces, and totals per pair of
/// provinces. The period is whole days in Asia/Shanghai, `from` and `to` included.
pub async fn get_settlements(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    query: web::Query<SettlementQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let requested = settlements::Scope {
        issuer: q.issuer_id,
        provider: q.provider_id,
        program: q.program_id,
        ..Default::default()
    };
    let scope = settlements::scope_for(&user, requested)?;
    let (from, to) = months::whole_days(q.from, q.to)?;
    let lines = read(&state, move |conn| {
        settlements::lines(conn, scope, from, to)
    })
    .await?;
    let totals = settlements::totals(&lines);
    let wants_csv = q.format == Some(Format::Csv) || (q.format.is_none() && accepts_csv(&req));
    if wants_csv {
        let name = format!("settlement-{}-{}.csv", q.from, q.to);
        let body = settlements::csv(&lines, &totals)?;
        return Ok(csv_file(&name, body, with_bom(q.bom)));
    }
    let period = Period::new(q.from, q.to);
    Ok(ok(Settlement::new(period, scope, lines, totals)))
}

fn accepts_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
}
