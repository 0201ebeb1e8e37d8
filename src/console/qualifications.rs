//! Qualifications for self-operation, per resource the user runs: who holds one until when, a
//! grant by the user's email, and revocation, each audited as through the API.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::chrome::{Chrome, local};
use super::lines::name;
use super::session::Posted;
use super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::types::Role;
use crate::error::ServiceError;

#[derive(Deserialize, Default)]
pub struct Which {
    resource_id: Option<i64>,
}

pub struct Held {
    pub id: i64,
    pub user: String,
    pub expires: String,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "qualifications.html", config = "src/console/askama.toml")]
struct QualificationsPage {
    c: Chrome,
    resources: Vec<(i64, String)>,
    chosen: i64,
    held: Vec<Held>,
    f: GrantForm,
    slip: Slip,
}

#[derive(Deserialize, Default)]
pub struct GrantForm {
    #[serde(default)]
    resource_id: i64,
    #[serde(default)]
    email: String,
    #[serde(default)]
    until: String,
}

async fn show(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    (chosen, notice): (Option<i64>, Option<String>),
    f: GrantForm,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    viewer
        .actor
        .require(&[Role::Manager, Role::Operator])
        .map_err(ServiceError::from)?;
    let (actor, locale, now) = (viewer.actor.clone(), viewer.locale, state.clock.naive());
    let (resources, chosen, held) = crate::http::read(state, move |conn| {
        let run = crate::db::resources::run_by(conn, actor.reach())?;
        let resources: Vec<(i64, String)> = run
            .into_iter()
            .map(|(id, en, zh)| (id, name(locale, &en, &zh)))
            .collect();
        let chosen = chosen.or(resources.first().map(|r| r.0)).unwrap_or(0);
        let mut held = Vec::new();
        if chosen > 0 {
            let rows = crate::qualifications::list(
                conn,
                &actor,
                (Some(ResourceId(chosen)), None),
                (None, 500),
            )?;
            for q in rows {
                let user = crate::db::users::find(conn, UserId(q.user_id))?
                    .map(|u| u.email)
                    .unwrap_or_default();
                let live = q.revoked_at.is_none() && q.expires_at > now;
                held.push(Held {
                    id: q.id,
                    user,
                    expires: local(q.expires_at, chrono_tz::Asia::Shanghai),
                    live,
                });
            }
        }
        Ok((resources, chosen, held))
    })
    .await?;
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        QualificationsPage {
            c: viewer.chrome(notice),
            resources,
            chosen,
            held,
            f,
            slip,
        },
    )
}

pub async fn qualifications(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<Which>,
    d: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = d.notice(viewer.locale);
    show(
        &state,
        &viewer,
        (q.resource_id, notice),
        GrantForm::default(),
        (Slip::default(), None),
    )
    .await
}

pub async fn grant(
    state: web::Data<AppState>,
    posted: Posted<GrantForm>,
) -> Result<HttpResponse, Shown> {
    let (viewer, f) = (posted.viewer, posted.form);
    let (actor, now, resource) = (viewer.actor.clone(), state.clock.naive(), f.resource_id);
    let (email, until) = (f.email.trim().to_owned(), f.until.clone());
    let result = crate::http::write(&state, move |conn| {
        let day = NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d")
            .map_err(|_| ServiceError::invalid_field("until", "give a day as YYYY-MM-DD"))?;
        let expires = crate::http::dto::parse_instant("until", &format!("{day}T23:59:00+08:00"))?;
        let user = crate::db::users::find_by_email(conn, &email)?
            .ok_or_else(|| ServiceError::invalid_field("email", "no account has this email"))?;
        crate::qualifications::grant(
            conn,
            &actor,
            (UserId(user.id), ResourceId(resource)),
            expires,
            now,
        )
    })
    .await;
    let back = format!("/console/qualifications?resource_id={resource}");
    match result {
        Ok(row) => Ok(done(&back, "qualified", row.id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(resource, &e, viewer.locale);
            show(&state, &viewer, (Some(resource), None), f, (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    resource_id: i64,
}

pub async fn revoke(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<Back>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer, resource) = (path.into_inner(), posted.viewer, posted.form.resource_id);
    let (actor, now) = (viewer.actor.clone(), state.clock.naive());
    let result = crate::http::write(&state, move |conn| {
        crate::qualifications::revoke(conn, &actor, id, now)
    })
    .await;
    match result {
        Ok(_) => Ok(done(
            &format!("/console/qualifications?resource_id={resource}"),
            "unqualified",
            id,
        )),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            show(
                &state,
                &viewer,
                (Some(resource), None),
                GrantForm::default(),
                (slip, Some(e)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
