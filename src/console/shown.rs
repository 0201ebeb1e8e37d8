//! What goes wrong on a console page, shown as a page: a request without a session goes to the
//! sign-in form, a forged or unreadable form is refused, and a service's refusal is explained in
//! the reader's language. Errors beside a form's fields are the pages' own; this is the rest.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;

use super::chrome::{label, message};
use crate::domain::types::Locale;
use crate::error::ServiceError;

#[derive(Debug, thiserror::Error)]
pub enum Shown {
    /// No live session: sign in, then come back to the page (its path).
    #[error("sign in to see this page")]
    SignIn(String),
    #[error("the form is not one this console sent; reload the page and try again")]
    Forged,
    #[error("the form could not be read; reload the page and try again")]
    BadForm,
    #[error("{}", .0.detail)]
    Failed(#[from] ServiceError),
}

impl ResponseError for Shown {
    fn status_code(&self) -> StatusCode {
        match self {
            Shown::SignIn(_) => StatusCode::SEE_OTHER,
            Shown::Forged => StatusCode::FORBIDDEN,
            Shown::BadForm => StatusCode::BAD_REQUEST,
            Shown::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        page(self, Locale::En)
    }
}

#[derive(Template)]
#[template(path = "error.html", config = "src/console/askama.toml")]
struct ErrorPage {
    lang: &'static str,
    title: &'static str,
    detail: String,
    back: &'static str,
}

/// The page for `shown` in `locale`.
fn page(shown: &Shown, locale: Locale) -> HttpResponse {
    if let Shown::SignIn(next) = shown {
        let to = format!(
            "/console/sign-in?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        return super::session::see_other(&to);
    }
    let status = shown.status_code();
    let detail = match shown {
        Shown::Failed(e) if status.is_server_error() => {
            tracing::error!(code = %e.code, cause = e.cause().unwrap_or(""), "console page failed");
            label(
                locale,
                "Something went wrong on our side; try again in a moment.",
            )
            .to_owned()
        }
        Shown::Failed(e) => message(locale, &e.detail),
        other => label(locale, leak_free(other)).to_owned(),
    };
    let body = ErrorPage {
        lang: locale.as_str(),
        title: label(locale, "This could not be done"),
        detail,
        back: label(locale, "Back to the console"),
    }
    .render()
    .unwrap_or_default();
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn leak_free(shown: &Shown) -> &'static str {
    match shown {
        Shown::Forged => "The form is not one this console sent; reload the page and try again.",
        _ => "The form could not be read; reload the page and try again.",
    }
}

/// Renders a console error again in the language of the page that failed.
pub async fn in_language(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let asked = super::session::asked_locale(req.request());
    let res = next.call(req).await?;
    let locale = res
        .request()
        .extensions()
        .get::<Locale>()
        .copied()
        .or(asked)
        .unwrap_or(Locale::ZhCn);
    let shown = res.response().error().and_then(|e| e.as_error::<Shown>());
    match shown {
        Some(s) if locale != Locale::En => {
            let again = page(s, locale);
            Ok(res.into_response(again))
        }
        _ => Ok(res.map_into_boxed_body()),
    }
}
