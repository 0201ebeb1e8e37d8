//! Settlement statements for issuers, provider institutions and admins, as JSON or CSV.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;
use serde_json::json;

use super::ok;
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::error::ServiceError;
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

/// Midnight at the start of `day` in Asia/Shanghai, as UTC.
fn shanghai_midnight(day: NaiveDate) -> NaiveDateTime {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.naive_utc())
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN) - Duration::hours(8))
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
    };
    let scope = settlements::scope_for(&user, requested)?;
    if q.to < q.from || (q.to - q.from).num_days() > 366 {
        return Err(ServiceError::invalid_field(
            "to",
            "must be on or after from, at most 366 days later",
        ));
    }
    let (from, to) = (
        shanghai_midnight(q.from),
        shanghai_midnight(q.to + Duration::days(1)),
    );
    let lines = read(&state, move |conn| {
        settlements::lines(conn, scope, from, to)
    })
    .await?;
    let totals = settlements::totals(&lines);
    let wants_csv = q.format == Some(Format::Csv) || (q.format.is_none() && accepts_csv(&req));
    if wants_csv {
        let name = format!("settlement-{}-{}.csv", q.from, q.to);
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{name}\""),
            ))
            .body(settlements::csv(&lines, &totals)?));
    }
    let total: i64 = lines.iter().map(|l| l.amount_fen).sum();
    Ok(ok(json!({
        "from": q.from, "to": q.to, "timezone": "Asia/Shanghai",
        "scope": {"issuer_id": scope.issuer, "provider_id": scope.provider, "program_id": scope.program},
        "lines": lines, "totals": totals, "total_fen": total,
    })))
}

fn accepts_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
}
