//! Open-sharing reports for managers (their institution), issuers and admins (the region).

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{csv_file, ok, with_bom};
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::months;
use crate::domain::types::Locale;
use crate::error::ServiceError;
use crate::http::dto::reports::{FlowReport, Period, Rebuilt, SharingReport};
use crate::http::extract::{Admins, Authorized};
use crate::http::{read_routed, write};
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
    bom: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

/// A CSV download named `name`.
/// Effective and external hours, sharing rate, utilisation, income, users and organisations
/// served, no-show and late-cancel rates, per group at `level` and in total. Days in
/// Asia/Shanghai, `from` and `to` included; figures from recorded use only.
pub async fn get_sharing_report(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<SharingQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let scope = Scope {
        institution: reports::institution_seen_by(&user)?,
        large_only: q.large_only,
        resource: None,
    };
    let level = q.level.unwrap_or(Level::Instrument);
    let (from, to) = months::whole_days(q.from, q.to)?;
    let (rows, total) = read_routed(&state, user.id, move |conn| {
        reports::sharing_report(conn, scope, level, from, to)
    })
    .await?;
    if q.format == Some(Format::Csv) {
        let name = format!("sharing-{}-{}.csv", q.from, q.to);
        return Ok(csv_file(
            &name,
            reports::sharing_csv(&rows)?,
            with_bom(q.bom),
        ));
    }
    Ok(ok(SharingReport {
        period: Period::new(q.from, q.to),
        level,
        large_only: q.large_only,
        rows,
        total,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowQuery {
    from: NaiveDate,
    to: NaiveDate,
    format: Option<Format>,
    bom: Option<bool>,
}

/// The cross-province flow matrices: hours, fees and voucher amounts by the users' province and
/// by the voucher issuers' province, against the providers' province.
pub async fn get_flow_report(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<FlowQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let scope = reports::scope_of(&user)?;
    let (from, to) = months::whole_days(q.from, q.to)?;
    let (by_user, by_issuer) = read_routed(&state, user.id, move |conn| {
        reports::flows(conn, scope, from, to)
    })
    .await?;
    if q.format == Some(Format::Csv) {
        let body = reports::flows::flows_csv(&by_user, &by_issuer)?;
        let name = format!("flows-{}-{}.csv", q.from, q.to);
        return Ok(csv_file(&name, body, with_bom(q.bom)));
    }
    Ok(ok(FlowReport {
        period: Period::new(q.from, q.to),
        by_user_province: by_user,
        by_issuer_province: by_issuer,
    }))
}

/// The chart's language: asked for, or the caller's own.
fn locale_of(
    conn: &mut crate::db::DbConnection,
    user: &Actor,
    asked: Option<Locale>,
) -> Result<Locale, ServiceError> {
    if let Some(l) = asked {
        return Ok(l);
    }
    let me = crate::db::users::find(conn, user.id)?;
    Ok(me
        .and_then(|u| Locale::parse(&u.locale))
        .unwrap_or(Locale::ZhCn))
}

/// Opened directly, an SVG is a document: it may run nothing, load nothing and be framed by
/// nobody; the charts need none of it (presentation attributes, no styles or scripts).
const SVG_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header(("Content-Security-Policy", SVG_POLICY))
        .body(body)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UtilisationChartQuery {
    year: i32,
    resource_id: Option<i64>,
    institution_id: Option<i64>,
    lang: Option<Locale>,
}

/// What a utilisation chart is of: one resource or one institution, and its name.
fn chart_subject(
    conn: &mut crate::db::DbConnection,
    q: &UtilisationChartQuery,
    mine: Option<i64>,
    l: Locale,
) -> Result<(Scope, String), ServiceError> {
    let t = |en: String, zh: String| if l == Locale::En { en } else { zh };
    let scope = |institution, resource| Scope {
        institution,
        large_only: false,
        resource,
    };
    match (q.resource_id, q.institution_id) {
        (Some(id), None) => {
            let view = crate::db::resources::find(conn, crate::domain::ids::ResourceId(id))?
                .filter(|v| mine.is_none_or(|org| org == v.row.organization_id))
                .ok_or_else(|| ServiceError::not_found("resource"))?;
            Ok((scope(mine, Some(id)), t(view.row.name_en, view.row.name_zh)))
        }
        (None, Some(id)) => {
            if mine.is_some_and(|org| org != id) {
                return Err(ServiceError::forbidden(
                    "managers chart their own institution",
                ));
            }
            let org = crate::db::organizations::find(conn, crate::domain::ids::OrganizationId(id))?
                .ok_or_else(|| ServiceError::not_found("institution"))?;
            Ok((scope(Some(id), None), t(org.name_en, org.name_zh)))
        }
        _ => Err(ServiceError::invalid_field(
            "resource_id",
            "name either resource_id or institution_id, not both",
        )),
    }
}

/// Monthly utilisation of one instrument or one institution over a year, as an SVG bar chart.
pub async fn get_utilisation_chart(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<UtilisationChartQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    if !(2000..=2100).contains(&q.year) {
        return Err(ServiceError::invalid_field(
            "year",
            "a year from 2000 to 2100",
        ));
    }
    let mine = reports::institution_seen_by(&user)?;
    let body = read_routed(&state, user.id, move |conn| {
        let l = locale_of(conn, &user, q.lang)?;
        let (scope, name) = chart_subject(conn, &q, mine, l)?;
        let months = reports::monthly_utilisation(conn, scope, q.year)?;
        Ok(reports::charts::monthly_utilisation(
            l, &name, q.year, &months,
        ))
    })
    .await?;
    Ok(svg(body))
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Matrix {
    User,
    Issuer,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Measure {
    Hours,
    Fee,
    Voucher,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowChartQuery {
    from: NaiveDate,
    to: NaiveDate,
    matrix: Option<Matrix>,
    measure: Option<Measure>,
    lang: Option<Locale>,
}

/// A flow matrix as an SVG heat map: hours, fees or voucher amounts (yuan) between provinces.
pub async fn get_flow_chart(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<FlowChartQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let scope = reports::scope_of(&user)?;
    let (from, to) = months::whole_days(q.from, q.to)?;
    let (matrix, measure) = (
        q.matrix.unwrap_or(Matrix::User),
        q.measure.unwrap_or(Measure::Hours),
    );
    let body = read_routed(&state, user.id, move |conn| {
        let l = locale_of(conn, &user, q.lang)?;
        let (by_user, by_issuer) = reports::flows(conn, scope, from, to)?;
        let flows = match matrix {
            Matrix::User => by_user,
            Matrix::Issuer => by_issuer,
        };
        Ok(reports::charts::heat_map(
            l,
            &flow_matrix(l, &flows, (matrix, measure), (q.from, q.to)),
        ))
    })
    .await?;
    Ok(svg(body))
}

fn flow_matrix<'a>(
    l: Locale,
    flows: &[reports::flows::Flow],
    (matrix, measure): (Matrix, Measure),
    (from, to): (NaiveDate, NaiveDate),
) -> reports::charts::Matrix<'a> {
    let en = l == Locale::En;
    let pick = |a: &'a str, b: &'a str| if en { a } else { b };
    let (what, unit) = match measure {
        Measure::Hours => (
            pick("hours of use", "使用机时"),
            pick("hours", "单位：小时"),
        ),
        Measure::Fee => (pick("service fees", "服务收费"), pick("yuan", "单位：元")),
        Measure::Voucher => (
            pick("voucher payments", "创新券支付"),
            pick("yuan", "单位：元"),
        ),
    };
    let rows_are = match matrix {
        Matrix::User => pick("Users' province", "用户所在省份"),
        Matrix::Issuer => pick("Voucher issuer's province", "创新券发放方所在省份"),
    };
    let title = if en {
        format!("Cross-province flows, {from} to {to}: {what}")
    } else {
        format!("跨省流动（{from} 至 {to}）：{what}")
    };
    let value = |f: &reports::flows::Flow| match measure {
        Measure::Hours => f.hours,
        Measure::Fee => f.fee_fen as f64 / 100.0,
        Measure::Voucher => f.voucher_fen as f64 / 100.0,
    };
    reports::charts::Matrix {
        title,
        unit,
        rows_are,
        cells: flows
            .iter()
            .map(|f| {
                (
                    f.from_province.clone(),
                    f.provider_province.clone(),
                    value(f),
                )
            })
            .collect(),
    }
}

/// Rebuilds the reports' monthly totals from every recorded use (admins): for rows written
/// around the server, such as a restored backup or a bulk load.
pub async fn rebuild_report_totals(
    state: web::Data<AppState>,
    Authorized { .. }: Authorized<Admins>,
) -> Result<HttpResponse, ServiceError> {
    let started = std::time::Instant::now();
    write(&state, |conn| {
        Ok(crate::db::reports::totals::rebuild(conn)?)
    })
    .await?;
    Ok(ok(Rebuilt {
        rebuilt: true,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }))
}
