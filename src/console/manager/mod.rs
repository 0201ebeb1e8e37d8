//! The lab manager's pages: the institution's resources with their status, and blackouts, where
//! one that collides with bookings lists them and asks whether to cancel them or keep them.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

use super::chrome::{Chrome, label, span};
use super::lines::name;
use super::session::Posted;
use super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::booking::blackout::{self, OnCollision};
use crate::db::resources;
use crate::domain::catalogue_query::ResourceFilter;
use crate::domain::ids::ResourceId;
use crate::domain::types::{ResourceStatus, Role};
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::resources::CreateBlackout;

mod import;
mod resource;
pub use import::{import, import_form};
pub use resource::{resource, save_hours, save_settings};

pub struct Listed {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: &'static str,
    pub reason: String,
    pub timezone: String,
}

#[derive(Template)]
#[template(path = "resources.html", config = "src/console/askama.toml")]
struct ResourcesPage {
    c: Chrome,
    listed: Vec<Listed>,
}

/// The resources of the manager's institution (every institution's, for an admin).
pub async fn resources(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, Shown> {
    viewer
        .actor
        .require(&[Role::Manager])
        .map_err(ServiceError::from)?;
    let filter = ResourceFilter {
        organization_id: viewer.actor.org.map(|o| o.0),
        statuses: vec![
            ResourceStatus::Active,
            ResourceStatus::Suspended,
            ResourceStatus::Retired,
        ],
        ..Default::default()
    };
    let locale = viewer.locale;
    let listed = crate::http::read(&state, move |conn| {
        let views = resources::list(conn, &filter, None, 500)?;
        Ok(views
            .into_iter()
            .map(|v| Listed {
                id: v.row.id,
                name: name(locale, &v.row.name_en, &v.row.name_zh),
                kind: v.row.kind.clone(),
                status: label(locale, v.row.status.as_str()),
                reason: v.row.status_reason.clone().unwrap_or_default(),
                timezone: v.row.timezone.clone(),
            })
            .collect::<Vec<_>>())
    })
    .await?;
    page(
        StatusCode::OK,
        ResourcesPage {
            c: viewer.chrome(None),
            listed,
        },
    )
}

#[derive(Deserialize, Default, Clone)]
pub struct BlackoutForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    reason: String,
    collisions: Option<String>,
}

pub struct Shown_ {
    pub id: i64,
    pub when: String,
    pub reason: String,
}

/// A booking the new blackout would fall on.
pub struct Hit {
    pub id: i64,
    pub when: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "blackouts.html", config = "src/console/askama.toml")]
struct BlackoutsPage {
    c: Chrome,
    resource_id: i64,
    resource: String,
    zone: String,
    blackouts: Vec<Shown_>,
    f: BlackoutForm,
    hits: Vec<Hit>,
    slip: Slip,
}

async fn show_blackouts(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    (id, notice): (i64, Option<String>),
    f: BlackoutForm,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let (actor, locale, now) = (viewer.actor.clone(), viewer.locale, state.clock.naive());
    let (view, rows) = crate::http::read(state, move |conn| {
        let view = crate::catalogue::editable_resource(conn, &actor, ResourceId(id))?;
        let rows =
            crate::db::blackouts::list_blackouts(conn, ResourceId(id), Some(now), None, 200)?;
        Ok((view, rows))
    })
    .await?;
    let tz = crate::http::handlers::bookings::tz_of(&view);
    let hits = err
        .as_ref()
        .map(|e| hits_of(e, tz, locale))
        .unwrap_or_default();
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        BlackoutsPage {
            c: viewer.chrome(notice),
            resource_id: id,
            resource: name(locale, &view.row.name_en, &view.row.name_zh),
            zone: tz.name().to_owned(),
            blackouts: rows
                .into_iter()
                .map(|b| Shown_ {
                    id: b.id,
                    when: span(b.start_at, b.end_at, tz),
                    reason: b.reason,
                })
                .collect(),
            f,
            hits,
            slip,
        },
    )
}

/// The bookings a refused blackout listed, on the resource's clock.
fn hits_of(err: &ServiceError, tz: Tz, locale: crate::domain::types::Locale) -> Vec<Hit> {
    if err.code != ErrorCode::BlackoutCollides {
        return Vec::new();
    }
    let listed = err
        .extra
        .get("bookings")
        .and_then(|b| b.as_array())
        .cloned()
        .unwrap_or_default();
    let at = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.naive_utc())
            .unwrap_or_default()
    };
    listed
        .iter()
        .map(|b| Hit {
            id: b["booking_id"].as_i64().unwrap_or_default(),
            when: span(at(&b["start"]), at(&b["end"]), tz),
            state: crate::domain::types::BookingState::parse(b["state"].as_str().unwrap_or(""))
                .map_or("", |s| label(locale, s.as_str())),
        })
        .collect()
}

pub async fn blackouts(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    q: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = q.notice(viewer.locale);
    let at = (path.into_inner(), notice);
    show_blackouts(
        &state,
        &viewer,
        at,
        BlackoutForm::default(),
        (Slip::default(), None),
    )
    .await
}

/// A time the form gave on the resource's clock (`YYYY-MM-DDTHH:MM`), as RFC 3339.
fn on_clock(field: &str, text: &str, tz: Tz) -> Result<String, ServiceError> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| ServiceError::invalid_field(field, "give a date and time"))?;
    let at = tz.from_local_datetime(&naive).single().ok_or_else(|| {
        ServiceError::invalid_field(
            field,
            "this time does not exist or is ambiguous on the resource's clock",
        )
    })?;
    Ok(at.to_rfc3339())
}

pub async fn add_blackout(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<BlackoutForm>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer, f) = (path.into_inner(), posted.viewer, posted.form);
    let (actor, now, form) = (viewer.actor.clone(), state.clock.now(), f.clone());
    let result = crate::http::write(&state, move |conn| {
        let view = resources::find(conn, ResourceId(id))?
            .ok_or_else(|| ServiceError::not_found("resource"))?;
        let tz = crate::http::handlers::bookings::tz_of(&view);
        let choice = match form.collisions.as_deref() {
            Some("cancel") => Some(OnCollision::Cancel),
            Some("keep") => Some(OnCollision::Keep),
            _ => None,
        };
        let asked = CreateBlackout {
            start: on_clock("start", &form.start, tz)?,
            end: on_clock("end", &form.end, tz)?,
            reason: form.reason.clone(),
            collisions: choice,
        };
        let (start, end, reason) = asked.parse()?;
        blackout::create(
            conn,
            &actor,
            (ResourceId(id), start, end, reason),
            choice,
            now,
        )
    })
    .await;
    match result {
        Ok((row, _)) => Ok(done(
            &format!("/console/resources/{id}/blackouts"),
            "blackout",
            row.id,
        )),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            show_blackouts(&state, &viewer, (id, None), f, (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}
