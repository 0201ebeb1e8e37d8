//! A resource's rated hours a year, against which its utilisation is reported: read by anyone,
//! set by the resource's managers. 1 600 unless set.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::ok;
use crate::app::AppState;
use crate::db::schema::resource_ratings as rr;
use crate::db::{DbConnection, resources};
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::sharing::DEFAULT_RATED_HOURS;
use crate::error::ServiceError;
use crate::http::extract::{Authorized, Json, Managers};
use crate::http::{read, write};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRatedHours {
    rated_hours_per_year: i32,
}

fn current(conn: &mut DbConnection, id: ResourceId) -> Result<serde_json::Value, ServiceError> {
    resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    let set: Option<i32> = rr::table
        .find(id.0)
        .select(rr::rated_hours_per_year)
        .first(conn)
        .optional()?;
    let hours = set.map_or(DEFAULT_RATED_HOURS, i64::from);
    Ok(json!({"resource_id": id.0, "rated_hours_per_year": hours, "default": set.is_none()}))
}

pub async fn get_rated_hours(
    state: web::Data<AppState>,
    _user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    Ok(ok(read(&state, move |conn| current(conn, id)).await?))
}

pub async fn set_rated_hours(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<SetRatedHours>,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let hours = body.into_inner().rated_hours_per_year;
    if !(1..=8_784).contains(&hours) {
        return Err(ServiceError::invalid_field(
            "rated_hours_per_year",
            "must be between 1 and 8784 (every hour of a leap year)",
        ));
    }
    let body = write(&state, move |conn| {
        crate::catalogue::editable_resource(conn, &user, id)?;
        diesel::delete(rr::table.find(id.0)).execute(conn)?;
        diesel::insert_into(rr::table)
            .values((rr::resource_id.eq(id.0), rr::rated_hours_per_year.eq(hours)))
            .execute(conn)?;
        current(conn, id)
    })
    .await?;
    Ok(ok(body))
}
