//! A resource's opening hours: read by anyone, replaced whole by its managers.

use actix_web::{HttpResponse, web};

use super::ok;
use crate::app::AppState;
use crate::db::resources;
use crate::domain::Issue;
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::opening::{self, DatedException, OpeningHours as Hours, WeeklyRule};
use crate::error::ServiceError;
use crate::http::dto::resources::{OpeningHours, ReplaceOpeningHours};
use crate::http::extract::Json;
use crate::http::extract::{Authorized, Managers};
use crate::http::{read, write};

pub async fn get_opening_hours(
    state: web::Data<AppState>,
    _user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let (tz, hours) = read(&state, move |conn| {
        let view = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
        Ok((
            view.row.timezone,
            crate::db::opening_hours::opening_hours(conn, id)?,
        ))
    })
    .await?;
    Ok(ok(OpeningHours::new(tz, hours)))
}

/// Turns the wire form into checked opening hours, naming every bad entry.
fn parse_hours(body: &ReplaceOpeningHours) -> Result<Hours, ServiceError> {
    let mut issues = Vec::new();
    let mut hours = Hours::default();
    for (i, w) in body.weekly.iter().enumerate() {
        let field = format!("weekly[{i}]");
        let Some(weekday) = opening::weekday_number(&w.weekday) else {
            issues.push(Issue::field(
                format!("{field}.weekday"),
                "must be one of mon, tue, wed, thu, fri, sat, sun",
            ));
            continue;
        };
        match opening::parse_interval(&field, &w.start, &w.end) {
            Ok((start_min, end_min)) => hours.weekly.push(WeeklyRule {
                weekday,
                start_min,
                end_min,
            }),
            Err(issue) => issues.push(issue),
        }
    }
    for (i, e) in body.exceptions.iter().enumerate() {
        let field = format!("exceptions[{i}]");
        let interval = match (&e.start, &e.end) {
            (None, None) => None,
            (Some(s), Some(t)) => match opening::parse_interval(&field, s, t) {
                Ok(span) => Some(span),
                Err(issue) => {
                    issues.push(issue);
                    continue;
                }
            },
            _ => {
                issues.push(Issue::field(
                    field,
                    "give both start and end, or neither for a closed day",
                ));
                continue;
            }
        };
        if e.reason.trim().is_empty() || e.reason.chars().count() > 300 {
            issues.push(Issue::field(
                format!("{field}.reason"),
                "say why (1 to 300 characters)",
            ));
        }
        hours.exceptions.push(DatedException {
            day: e.date,
            interval,
            reason: e.reason.trim().to_owned(),
        });
    }
    issues.extend(opening::check_overlaps(&hours));
    if issues.is_empty() {
        Ok(hours)
    } else {
        Err(ServiceError::validation(issues))
    }
}

pub async fn replace_opening_hours(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<ReplaceOpeningHours>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let body = body.into_inner();
    let hours = parse_hours(&body)?;
    let (tz, hours) = write(&state, move |conn| {
        let view = crate::catalogue::editable_resource(conn, &user, id)?;
        if body
            .timezone
            .as_ref()
            .is_some_and(|tz| *tz != view.row.timezone)
        {
            return Err(ServiceError::invalid_field(
                "timezone",
                "change the resource's time zone with PATCH /api/v1/resources/{id}",
            ));
        }
        crate::db::opening_hours::replace_opening_hours(conn, id, &hours)?;
        Ok((
            view.row.timezone,
            crate::db::opening_hours::opening_hours(conn, id)?,
        ))
    })
    .await?;
    Ok(ok(OpeningHours::new(tz, hours)))
}
