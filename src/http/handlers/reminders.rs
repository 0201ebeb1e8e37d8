//! How long before a booking its booker is reminded, per resource: read by anyone, set by the
//! resource's managers. A day (at the same local time) unless set.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::ok;
use crate::app::AppState;
use crate::db::schema::resource_reminders as rr;
use crate::db::{DbConnection, resources};
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::error::ServiceError;
use crate::http::extract::{Authorized, Json, Managers};
use crate::http::{read, write};
use crate::jobs::reminders::DEFAULT_MINUTES;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetReminder {
    minutes_before: i32,
}

fn current(conn: &mut DbConnection, id: ResourceId) -> Result<serde_json::Value, ServiceError> {
    resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    let set: Option<i32> = rr::table
        .find(id.0)
        .select(rr::minutes_before)
        .first(conn)
        .optional()?;
    Ok(
        json!({"resource_id": id.0, "minutes_before": set.unwrap_or(DEFAULT_MINUTES), "default": set.is_none()}),
    )
}

pub async fn get_reminder(
    state: web::Data<AppState>,
    _user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    Ok(ok(read(&state, move |conn| current(conn, id)).await?))
}

pub async fn set_reminder(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<SetReminder>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let minutes = body.into_inner().minutes_before;
    if !(0..=43_200).contains(&minutes) {
        return Err(ServiceError::invalid_field(
            "minutes_before",
            "must be between 0 and 43200 (30 days)",
        ));
    }
    let body = write(&state, move |conn| {
        crate::catalogue::editable_resource(conn, &user, id)?;
        diesel::delete(rr::table.find(id.0)).execute(conn)?;
        diesel::insert_into(rr::table)
            .values((rr::resource_id.eq(id.0), rr::minutes_before.eq(minutes)))
            .execute(conn)?;
        current(conn, id)
    })
    .await?;
    Ok(ok(body))
}
