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
        let tz = view.row.timezone.clone();
        let before = OpeningHours::new(
            tz.clone(),
            crate::db::opening_hours::opening_hours(conn, id)?,
        );
        crate::db::opening_hours::replace_opening_hours(conn, id, &hours)?;
        let now = crate::db::opening_hours::opening_hours(conn, id)?;
        let change = crate::audit::Change {
            subject: ("resource", id.0),
            action: "opening_hours.replaced",
            owner: Some(view.row.organization_id),
            party: None,
            reason: None,
        };
        let after = OpeningHours::new(tz.clone(), now.clone());
        crate::audit::record(
            conn,
            &user,
            change,
            (Some(&before), Some(&after)),
            clock.naive(),
        )?;
        Ok((tz, now))
    })
    .await?;
    Ok(ok(OpeningHours::new(tz, hours)))
}
