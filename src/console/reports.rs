//! Reports as pages: a manager's institution's sharing figures per instrument with its monthly
//! utilisation chart, and the cross-province flow matrix with its heat map for issuers. The
//! charts are the API's own, answered for the session's user.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::chrome::{Chrome, yuan};
use super::lines::name;
use super::{Shown, Viewer, page};
use crate::app::AppState;
use crate::domain::months;
use crate::domain::types::Role;
use crate::error::{ErrorCode, ServiceError};
use crate::http::handlers::reports as api;
use crate::reports::{self, Level, Scope};

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub struct Figure {
    pub name: String,
    pub effective: String,
    pub external: String,
    pub sharing: String,
    pub utilisation: String,
    pub income: String,
    pub served: usize,
}

fn figure(name: String, f: &crate::domain::sharing::Figures) -> Figure {
    let rate = |r: Option<f64>| r.map_or("–".to_owned(), |r| format!("{:.1} %", r * 100.0));
    Figure {
        name,
        effective: format!("{:.1}", f.effective_hours),
        external: format!("{:.1}", f.external_hours),
        sharing: rate(f.sharing_rate),
        utilisation: rate(f.utilisation),
        income: yuan(f.service_income_fen),
        served: f.organizations_served,
    }
}

pub struct Flow {
    pub from: String,
    pub to: String,
    pub hours: String,
    pub fee: String,
    pub voucher: String,
}

#[derive(Template)]
#[template(path = "reports.html", config = "src/console/askama.toml")]
struct ReportsPage {
    c: Chrome,
    year: i32,
    institution: Option<i64>,
    figures: Vec<Figure>,
    total: Option<Figure>,
    flows: Vec<Flow>,
    show_flows: bool,
}

/// The year a report page covers: asked for, or this one in China Standard Time.
fn year_of(state: &AppState, asked: Option<i32>) -> Result<i32, ServiceError> {
    let now = state
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .year();
    let year = asked.unwrap_or(now);
    if !(2000..=2100).contains(&year) {
        return Err(ServiceError::invalid_field(
            "year",
            "a year from 2000 to 2100",
        ));
    }
    Ok(year)
}

pub async fn report(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, Shown> {
    let year = year_of(&state, q.year)?;
    let actor = viewer.actor.clone();
    let institution = reports::institution_seen_by(&actor)?;
    let show_flows = matches!(actor.role, Role::Issuer | Role::Admin);
    let locale = viewer.locale;
    let first = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
    let (from, to) = months::whole_days(first(1, 1), first(12, 31)).map_err(ServiceError::from)?;
    let (figures, total, flows) = crate::http::read_routed(&state, actor.id, move |conn| {
        let scope = Scope {
            institution,
            large_only: false,
            resource: None,
        };
        let (rows, total) = if actor.role == Role::Issuer {
            (Vec::new(), None)
        } else {
            let (rows, total) = reports::sharing_report(conn, scope, Level::Instrument, from, to)?;
            (rows, Some(total))
        };
        let flows = if show_flows {
            reports::flows(conn, scope, from, to)?.0
        } else {
            Vec::new()
        };
        let figures = rows
            .iter()
            .map(|r| figure(name(locale, &r.name_en, &r.name_zh), &r.figures));
        let flows = flows.iter().map(|f| Flow {
            from: f.from_province.clone(),
            to: f.provider_province.clone(),
            hours: format!("{:.1}", f.hours),
            fee: yuan(f.fee_fen),
            voucher: yuan(f.voucher_fen),
        });
        Ok((
            figures.collect::<Vec<_>>(),
            total.map(|t| figure(String::new(), &t)),
            flows.collect::<Vec<_>>(),
        ))
    })
    .await?;
    page(
        StatusCode::OK,
        ReportsPage {
            c: viewer.chrome(None),
            year,
            institution: viewer
                .actor
                .org
                .map(|o| o.0)
                .filter(|_| institution.is_some()),
            figures,
            total,
            flows,
            show_flows,
        },
    )
}

/// The query string of an API chart, checked by the API's own reading of it.
fn chart_query<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
) -> Result<web::Query<T>, ServiceError> {
    web::Query::<T>::from_query(req.query_string())
        .map_err(|e| ServiceError::new(ErrorCode::InvalidQuery, format!("bad query string: {e}")))
}

pub async fn utilisation_chart(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, Shown> {
    let q = chart_query(&req)?;
    Ok(api::get_utilisation_chart(state, viewer.actor, q).await?)
}

pub async fn flow_chart(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, Shown> {
    let q = chart_query(&req)?;
    Ok(api::get_flow_chart(state, viewer.actor, q).await?)
}
