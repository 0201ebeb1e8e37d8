//! Per-resource settings: rated hours a year (for utilisation) and the reminder lead. Anyone
//! signed in reads them; the resource's managers set them.

use actix_web::{HttpResponse, web};

use super::ok;
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::settings::Setting;
use crate::error::ServiceError;
use crate::http::dto::settings::{SetRatedHours, SetReminder, SettingBody};
use crate::http::extract::{Authorized, Json, Managers};
use crate::http::{read, write};
use crate::settings;

async fn get_setting(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    setting: Setting,
) -> Result<HttpResponse, ServiceError> {
    let id = ResourceId(path.into_inner());
    let current = read(&state, move |conn| settings::current(conn, id, setting)).await?;
    Ok(ok(SettingBody(current)))
}

async fn put_setting(
    state: web::Data<AppState>,
    actor: Actor,
    (path, setting): (web::Path<i64>, Setting),
    value: i32,
) -> Result<HttpResponse, ServiceError> {
    let which = (ResourceId(path.into_inner()), setting);
    let now = state.clock.naive();
    let current = write(&state, move |conn| {
        settings::change(conn, &actor, which, (value, now))
    })
    .await?;
    Ok(ok(SettingBody(current)))
}

pub async fn get_rated_hours(
    state: web::Data<AppState>,
    _actor: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    get_setting(state, path, Setting::RatedHours).await
}

pub async fn set_rated_hours(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<SetRatedHours>,
) -> Result<HttpResponse, ServiceError> {
    let value = body.into_inner().rated_hours_per_year;
    put_setting(state, user, (path, Setting::RatedHours), value).await
}

pub async fn get_reminder(
    state: web::Data<AppState>,
    _actor: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    get_setting(state, path, Setting::ReminderLead).await
}

pub async fn set_reminder(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<SetReminder>,
) -> Result<HttpResponse, ServiceError> {
    let value = body.into_inner().minutes_before;
    put_setting(state, user, (path, Setting::ReminderLead), value).await
}
