//! A resource's opening hours: read by anyone, replaced whole by its managers.

use actix_web::{HttpResponse, web};

use super::ok;
use crate::app::AppState;
use crate::db::resources;
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::written_hours;
use crate::error::ServiceError;
use crate::http::dto::resources::{OpeningHours, ReplaceOpeningHours};
use crate::http::extract::Json;
use crate::http::extract::{Authorized, Managers};
use crate::http::{read_routed, write};

pub async fn get_opening_hours(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let (tz, hours) = read_routed(&state, user.id, move |conn| {
        let view = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
        Ok((
            view.row.timezone,
            crate::db::opening_hours::opening_hours(conn, id)?,
        ))
    })
    .await?;
    Ok(ok(OpeningHours::new(tz, hours)))
}

pub async fn replace_opening_hours(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<ReplaceOpeningHours>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let clock = state.clock.clone();
    let body = body.into_inner();
    let hours =
        written_hours::read(&body.weekly, &body.exceptions).map_err(ServiceError::validation)?;
    let (tz, hours) = write(&state, move |conn| {
        replace(
            conn,
            &user,
            (id, body.timezone.as_deref()),
            |_| Ok(hours),
            clock.naive(),
        )
    })
    .await?;
    Ok(ok(OpeningHours::new(tz, hours)))
}

/// Replaces a resource's opening hours with what `hours` makes of the current ones, for its
/// institution's manager, and records the change; the resource's zone and its new hours.
pub fn replace(
    conn: &mut crate::db::DbConnection,
    user: &Actor,
    (id, timezone): (ResourceId, Option<&str>),
    hours: impl FnOnce(
        &crate::domain::opening::OpeningHours,
    ) -> Result<crate::domain::opening::OpeningHours, ServiceError>,
    at: chrono::NaiveDateTime,
) -> Result<(String, crate::domain::opening::OpeningHours), ServiceError> {
    let view = crate::catalogue::editable_resource(conn, user, id)?;
    if timezone.is_some_and(|tz| tz != view.row.timezone) {
        return Err(ServiceError::invalid_field(
            "timezone",
            "change the resource's time zone with PATCH /api/v1/resources/{id}",
        ));
    }
    let tz = view.row.timezone.clone();
    let current = crate::db::opening_hours::opening_hours(conn, id)?;
    let next = hours(&current)?;
    let before = OpeningHours::new(tz.clone(), current);
    crate::db::opening_hours::replace_opening_hours(conn, id, &next)?;
    let now = crate::db::opening_hours::opening_hours(conn, id)?;
    let change = crate::audit::Change {
        subject: ("resource", id.0),
        action: "opening_hours.replaced",
        owner: Some(view.row.organization_id),
        party: None,
        reason: None,
    };
    let after = OpeningHours::new(tz.clone(), now.clone());
    crate::audit::record(conn, user, change, (Some(&before), Some(&after)), at)?;
    Ok((tz, now))
}
