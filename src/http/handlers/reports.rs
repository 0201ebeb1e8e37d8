//! Open-sharing reports for managers (their institution), issuers and admins (the region).

use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate, TimeZone};
use serde::Deserialize;
use serde_json::json;

use super::ok;
use crate::app::AppState;
use crate::domain::types::Role;
use crate::http::error::ApiError;
use crate::http::extract::AuthUser;
use crate::http::read;
use crate::reports::{self, Level, Scope};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingQuery {
    from: NaiveDate,
    to: NaiveDate,
    level: Option<Level>,
    #[serde(default)]
    large_only: bool,
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

/// Whose resources the caller's reports cover: a manager's institution's, or (issuers and admins)
/// the region's.
fn institution_of(user: &AuthUser) -> Result<Option<i64>, ApiError> {
    match user.role {
        Role::Admin | Role::Issuer => Ok(None),
        Role::Manager => Ok(user.org.map(|o| o.0)),
        _ => Err(ApiError::forbidden(
            "reports are for institutions' managers, issuers and admins",
        )),
    }
}

/// A CSV download named `name`.
fn csv_file(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// Whole Shanghai days, `from` and `to` included, as UTC bounds.
fn period(
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(chrono::NaiveDateTime, chrono::NaiveDateTime), ApiError> {
    if to < from || (to - from).num_days() > 366 {
        return Err(ApiError::invalid_field(
            "to",
            "must be on or after from, at most 366 days later",
        ));
    }
    Ok((midnight(from), midnight(to + Duration::days(1))))
}

fn midnight(day: NaiveDate) -> chrono::NaiveDateTime {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.naive_utc())
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN) - Duration::hours(8))
}

/// Effective and external hours, sharing rate, utilisation, income, users and organisations
/// served, no-show and late-cancel rates, per group at `level` and in total. Days in
/// Asia/Shanghai, `from` and `to` included; figures from recorded use only.
pub async fn get_sharing_report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SharingQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let scope = Scope {
        institution: institution_of(&user)?,
        large_only: q.large_only,
    };
    let level = q.level.unwrap_or(Level::Instrument);
    let (from, to) = period(q.from, q.to)?;
    let (rows, total) = read(&state, move |conn| {
        reports::sharing_report(conn, scope, level, from, to)
    })
    .await?;
    if q.format == Some(Format::Csv) {
        let name = format!("sharing-{}-{}.csv", q.from, q.to);
        return Ok(csv_file(&name, reports::sharing_csv(&rows)?));
    }
    Ok(ok(json!({
        "from": q.from, "to": q.to, "timezone": "Asia/Shanghai", "level": level,
        "large_only": q.large_only, "rows": rows, "total": total,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowQuery {
    from: NaiveDate,
    to: NaiveDate,
    format: Option<Format>,
}

/// The cross-province flow matrices: hours, fees and voucher amounts by the users' province and
/// by the voucher issuers' province, against the providers' province.
pub async fn get_flow_report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<FlowQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let scope = Scope {
        institution: institution_of(&user)?,
        large_only: false,
    };
    let (from, to) = period(q.from, q.to)?;
    let (by_user, by_issuer) =
        read(&state, move |conn| reports::flows(conn, scope, from, to)).await?;
    if q.format == Some(Format::Csv) {
        let body = reports::flows::flows_csv(&by_user, &by_issuer)?;
        return Ok(csv_file(&format!("flows-{}-{}.csv", q.from, q.to), body));
    }
    Ok(ok(json!({
        "from": q.from, "to": q.to, "timezone": "Asia/Shanghai",
        "by_user_province": by_user, "by_issuer_province": by_issuer,
    })))
}
