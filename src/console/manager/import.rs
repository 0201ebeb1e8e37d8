//! Importing a catalogue CSV from the console: the file's text (pasted, or read from a chosen
//! file by the page's one small script), imported whole or not at all, as
//! `POST /api/v1/resources/import` does, with every problem listed by its line.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::super::chrome::{Chrome, message};
use super::super::session::Posted;
use super::super::{Done, Shown, Viewer, done, page};
use crate::app::AppState;
use crate::domain::types::Role;
use crate::error::ServiceError;

#[derive(Template)]
#[template(path = "import.html", config = "src/console/askama.toml")]
struct ImportPage {
    c: Chrome,
    csv: String,
    /// The problems of a refused import: line (0 when the file as a whole) and what to fix.
    problems: Vec<(u64, String)>,
}

pub async fn import_form(viewer: Viewer, d: web::Query<Done>) -> Result<HttpResponse, Shown> {
    viewer
        .actor
        .require(&[Role::Manager])
        .map_err(ServiceError::from)?;
    let c = viewer.chrome(d.notice(viewer.locale));
    page(
        StatusCode::OK,
        ImportPage {
            c,
            csv: String::new(),
            problems: Vec::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
}

pub async fn import(
    state: web::Data<AppState>,
    posted: Posted<ImportForm>,
) -> Result<HttpResponse, Shown> {
    let (viewer, csv) = (posted.viewer, posted.form.csv);
    let (actor, now, text) = (viewer.actor.clone(), state.clock.naive(), csv.clone());
    let result = crate::http::write(&state, move |conn| {
        crate::catalogue::import(conn, &actor, &text, false, now)
    })
    .await;
    match result {
        Ok(ids) => Ok(done("/console/resources", "imported", ids.len() as i64)),
        Err(e) if e.code.status() < 500 => {
            let locale = viewer.locale;
            let mut problems: Vec<(u64, String)> = e
                .issues
                .iter()
                .map(|i| {
                    let text = message(locale, &i.message);
                    let text = match &i.field {
                        Some(f) => format!("{f}: {text}"),
                        None => text,
                    };
                    (i.line.unwrap_or(0), text)
                })
                .collect();
            if problems.is_empty() {
                problems.push((0, message(locale, &e.detail)));
            }
            let status =
                StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            page(
                status,
                ImportPage {
                    c: viewer.chrome(None),
                    csv,
                    problems,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}
