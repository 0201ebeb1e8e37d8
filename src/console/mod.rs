//! The web console: pages for operators, lab managers, bookers and issuers, served by the same
//! binary on the same services as the API, so every rule, tenancy check and audit record applies
//! alike. Forms post and redirect (303), so each core action works without JavaScript; every
//! action's form and button carries a stable `data-action` and the `data-id` it acts on.

mod booker;
mod chrome;
mod feeds;
mod issuer;
mod lines;
mod manager;
mod operator;
mod programmes;
mod qualifications;
mod reports;
mod session;
mod shown;
mod sign_in;

use actix_web::{HttpResponse, http::StatusCode, middleware::from_fn, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::types::{Locale, Role};
use crate::error::ServiceError;
pub use session::Viewer;
pub use shown::Shown;

/// Every page and action of the console (method, path), as docs/console.md lists them.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/console"),
    ("get", "/console/sign-in"),
    ("post", "/console/sign-in"),
    ("post", "/console/sign-out"),
    ("post", "/console/language"),
    ("get", "/console/queue"),
    ("post", "/console/bookings/{id}/approve"),
    ("post", "/console/bookings/{id}/reject"),
    ("get", "/console/sessions"),
    ("post", "/console/bookings/{id}/check-in"),
    ("post", "/console/bookings/{id}/check-out"),
    ("get", "/console/bookings"),
    ("post", "/console/bookings"),
    ("get", "/console/bookings/{id}"),
    ("post", "/console/bookings/{id}/cancel"),
    ("get", "/console/search"),
    ("get", "/console/resources/{id}/quote"),
    ("get", "/console/vouchers"),
    ("get", "/console/vouchers/{id}"),
    ("post", "/console/vouchers/{id}/suspend"),
    ("post", "/console/vouchers/{id}/reinstate"),
    ("post", "/console/vouchers/{id}/revoke"),
    ("get", "/console/resources"),
    ("get", "/console/resources/{id}"),
    ("post", "/console/resources/{id}/settings"),
    ("post", "/console/resources/{id}/opening-hours"),
    ("get", "/console/resources/{id}/blackouts"),
    ("post", "/console/resources/{id}/blackouts"),
    ("get", "/console/import"),
    ("post", "/console/import"),
    ("get", "/console/qualifications"),
    ("post", "/console/qualifications"),
    ("post", "/console/qualifications/{id}/revoke"),
    ("get", "/console/feeds"),
    ("post", "/console/feeds"),
    ("post", "/console/feeds/{id}/revoke"),
    ("get", "/console/programmes"),
    ("post", "/console/statements/{id}/agree"),
    ("post", "/console/statements/{id}/pay"),
    ("post", "/console/statements/{id}/dispute"),
    ("post", "/console/vouchers"),
    ("get", "/console/reports"),
    ("get", "/console/reports/utilisation.svg"),
    ("get", "/console/reports/flows.svg"),
];

/// Mounts the console under `/console`.
pub fn register(cfg: &mut web::ServiceConfig) {
    use web::{get, post};
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(shown::in_language))
            .route("", get().to(home))
            .route("/sign-in", get().to(sign_in::sign_in_form))
            .route("/sign-in", post().to(sign_in::sign_in))
            .route("/sign-out", post().to(sign_in::sign_out))
            .route("/language", post().to(sign_in::set_language))
            .route("/queue", get().to(operator::queue))
            .route("/bookings/{id}/approve", post().to(operator::approve))
            .route("/bookings/{id}/reject", post().to(operator::reject))
            .route("/sessions", get().to(operator::sessions))
            .route("/bookings/{id}/check-in", post().to(operator::check_in))
            .route("/bookings/{id}/check-out", post().to(operator::check_out))
            .route("/bookings", get().to(booker::bookings))
            .route("/bookings", post().to(booker::book))
            .route("/bookings/{id}", get().to(booker::booking))
            .route("/bookings/{id}/cancel", post().to(booker::cancel))
            .route("/search", get().to(booker::search))
            .route("/resources/{id}/quote", get().to(booker::quote))
            .route("/vouchers", get().to(issuer::vouchers))
            .route("/vouchers/{id}", get().to(issuer::voucher))
            .route("/vouchers/{id}/suspend", post().to(issuer::suspend))
            .route("/vouchers/{id}/reinstate", post().to(issuer::reinstate))
            .route("/vouchers/{id}/revoke", post().to(issuer::revoke))
            .route("/vouchers", post().to(programmes::grant))
            .route("/programmes", get().to(programmes::programmes))
            .route("/statements/{id}/agree", post().to(programmes::agree))
            .route("/statements/{id}/pay", post().to(programmes::pay))
            .route("/statements/{id}/dispute", post().to(programmes::dispute))
            .route("/resources", get().to(manager::resources))
            .route("/resources/{id}", get().to(manager::resource))
            .route(
                "/resources/{id}/settings",
                post().to(manager::save_settings),
            )
            .route(
                "/resources/{id}/opening-hours",
                post().to(manager::save_hours),
            )
            .route("/resources/{id}/blackouts", get().to(manager::blackouts))
            .route(
                "/resources/{id}/blackouts",
                post().to(manager::add_blackout),
            )
            .route("/import", get().to(manager::import_form))
            .route("/import", post().to(manager::import))
            .route("/qualifications", get().to(qualifications::qualifications))
            .route("/qualifications", post().to(qualifications::grant))
            .route(
                "/qualifications/{id}/revoke",
                post().to(qualifications::revoke),
            )
            .route("/feeds", get().to(feeds::feeds))
            .route("/feeds", post().to(feeds::subscribe))
            .route("/feeds/{id}/revoke", post().to(feeds::revoke))
            .route("/reports", get().to(reports::report))
            .route(
                "/reports/utilisation.svg",
                get().to(reports::utilisation_chart),
            )
            .route("/reports/flows.svg", get().to(reports::flow_chart)),
    );
}

/// The console's front door: the page the user's role starts from.
async fn home(viewer: Viewer) -> HttpResponse {
    let to = match viewer.actor.role {
        Role::Operator | Role::Admin => "/console/queue",
        Role::Manager => "/console/resources",
        Role::Booker => "/console/search",
        Role::Issuer => "/console/vouchers",
    };
    session::see_other(to)
}

/// A rendered page.
pub fn page(status: StatusCode, body: impl Template) -> Result<HttpResponse, Shown> {
    let html = body.render().map_err(ServiceError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", POLICY))
        .body(html))
}

/// What a console page may load and where its forms may go: this server only, never framed.
const POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
    script-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// An action that was refused, shown beside the form it came from: on the field it concerns
/// when the service named one, else above the form.
#[derive(Default)]
pub struct Slip {
    id: i64,
    field: Option<String>,
    text: String,
}

impl Slip {
    pub fn of(id: i64, err: &ServiceError, locale: Locale) -> Slip {
        let issue = err.issues.iter().find(|i| i.field.is_some());
        let (field, text) = match issue {
            Some(i) => (i.field.clone(), chrome::message(locale, &i.message)),
            None => (None, chrome::message(locale, &err.detail)),
        };
        Slip { id, field, text }
    }

    /// What to show beside `field` of the form acting on `id`, or "".
    pub fn at(&self, id: impl std::borrow::Borrow<i64>, field: &str) -> &str {
        match &self.field {
            Some(f) if self.id == *id.borrow() && f == field => &self.text,
            _ => "",
        }
    }

    /// What to show above the form acting on `id`, unless it belongs beside `field`, or "".
    pub fn above(&self, id: impl std::borrow::Borrow<i64>, field: &str) -> &str {
        let named = self.field.as_deref() == Some(field);
        if self.id == *id.borrow() && !named {
            &self.text
        } else {
            ""
        }
    }

    /// What to show above the form acting on `id` when the refusal names no field, or "".
    pub fn general(&self, id: impl std::borrow::Borrow<i64>) -> &str {
        if self.id == *id.borrow() && self.field.is_none() {
            &self.text
        } else {
            ""
        }
    }

    pub fn failed(&self) -> bool {
        !self.text.is_empty()
    }
}

/// The status of a page shown again with a refused action on it.
pub fn status_of(slip: &Slip, err: &ServiceError) -> StatusCode {
    if slip.failed() {
        StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        StatusCode::OK
    }
}

/// What the page after an action says was done: `?done=KEY&id=N`.
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    id: Option<i64>,
}

const NOTICES: &[(&str, &str)] = &[
    ("approved", "Booking {} approved."),
    ("rejected", "Booking {} rejected."),
    ("checked-in", "Booking {}: checked in."),
    ("checked-out", "Booking {}: checked out."),
    ("booked", "Booking {} made."),
    ("cancelled", "Booking {} cancelled."),
    ("suspended", "Voucher {} suspended."),
    ("reinstated", "Voucher {} reinstated."),
    ("revoked", "Voucher {} revoked."),
    ("blackout", "Blackout {} added."),
    ("granted", "Voucher {} granted."),
    ("qualified", "Qualification {} granted."),
    ("unqualified", "Qualification {} revoked."),
    ("feed-revoked", "Calendar feed {} revoked."),
    ("saved", "Rates and booking rules of resource {} saved."),
    ("hours-saved", "Opening hours of resource {} saved."),
    ("imported", "{} resources imported."),
    ("statement-agreed", "Statement {} agreed."),
    ("statement-paid", "Statement {} paid."),
    ("statement-disputed", "Statement {} disputed."),
];

impl Done {
    pub fn notice(&self, locale: Locale) -> Option<String> {
        let key = self.done.as_deref()?;
        let (_, english) = NOTICES.iter().find(|(k, _)| *k == key)?;
        let id = self.id.map(|i| i.to_string()).unwrap_or_default();
        Some(chrome::label(locale, english).replace("{}", &id))
    }
}

/// Where to go after an action: `path`, saying what was done to what.
pub fn done(path: &str, key: &str, id: i64) -> HttpResponse {
    let sep = if path.contains('?') { '&' } else { '?' };
    session::see_other(&format!("{path}{sep}done={key}&id={id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_reads_in_chinese_with_its_id() {
        for (key, english) in NOTICES {
            let done = Done {
                done: Some((*key).to_owned()),
                id: Some(7),
            };
            let zh = done.notice(Locale::ZhCn).expect("notice");
            assert!(zh != *english && zh.contains('7'), "{key}: {zh}");
        }
        let unknown = Done {
            done: Some("<script>".into()),
            id: None,
        };
        assert_eq!(unknown.notice(Locale::En), None);
    }
}
