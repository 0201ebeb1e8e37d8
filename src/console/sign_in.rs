//! The sign-in form, signing out, and the language switch.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::chrome::{label, message};
use super::session::{
    LANGUAGE_COOKIE, Posted, SESSION_COOKIE, SIGN_IN_COOKIE, asked_locale, cookie, expired,
    form_token, safe_next, see_other,
};
use super::shown::Shown;
use crate::app::AppState;
use crate::domain::types::Locale;
use crate::http::extract::ClientAddress;

#[derive(Template)]
#[template(path = "sign_in.html", config = "src/console/askama.toml")]
struct SignInPage {
    locale: Locale,
    lang: &'static str,
    /// The language the user picked on this form, if they picked one.
    chosen: String,
    csrf: String,
    next: String,
    next_encoded: String,
    email: String,
    error: Option<String>,
}

impl SignInPage {
    fn t(&self, english: &'static str) -> &'static str {
        label(self.locale, english)
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
    lang: Option<String>,
}

fn render(
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
    mut page: SignInPage,
) -> Result<HttpResponse, Shown> {
    // A new form token each time the form is shown, held in its own cookie until a session
    // exists to derive one from.
    let secret = crate::auth::new_token("").0;
    page.csrf = form_token(&secret);
    let html = page
        .render()
        .map_err(crate::error::ServiceError::internal)?;
    let mut answer = HttpResponse::build(status);
    answer.cookie(cookie(req, SIGN_IN_COOKIE, secret));
    if let Some(chosen) = Locale::parse(&page.chosen) {
        answer.cookie(cookie(req, LANGUAGE_COOKIE, chosen.as_str().to_owned()));
    }
    Ok(answer.content_type("text/html; charset=utf-8").body(html))
}

fn form_page(
    (locale, chosen): (Locale, Option<Locale>),
    next: &str,
    email: String,
    error: Option<String>,
) -> SignInPage {
    let next = safe_next(next).to_owned();
    SignInPage {
        locale,
        lang: locale.as_str(),
        chosen: chosen.map(|l| l.as_str().to_owned()).unwrap_or_default(),
        csrf: String::new(),
        next_encoded: url::form_urlencoded::byte_serialize(next.as_bytes()).collect(),
        next,
        email,
        error,
    }
}

pub async fn sign_in_form(
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, Shown> {
    let q = query.into_inner();
    let chosen = q.lang.as_deref().and_then(Locale::parse);
    let locale = chosen
        .or_else(|| asked_locale(&req))
        .unwrap_or(Locale::ZhCn);
    let page = form_page((locale, chosen), &q.next, String::new(), None);
    render(&req, actix_web::http::StatusCode::OK, page)
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    lang: String,
}

pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientAddress,
    form: web::Form<SignIn>,
) -> Result<HttpResponse, Shown> {
    let f = form.into_inner();
    let chosen = Locale::parse(&f.lang);
    let locale = chosen
        .or_else(|| asked_locale(&req))
        .unwrap_or(Locale::ZhCn);
    let sent_by_us = req
        .cookie(SIGN_IN_COOKIE)
        .is_some_and(|c| form_token(c.value()) == f.csrf);
    if !sent_by_us || !super::session::same_origin(&req) {
        return Err(Shown::Forged);
    }
    let checked = crate::http::handlers::accounts::checked_sign_in(
        &state,
        f.email.clone(),
        f.password,
        client.0,
    )
    .await;
    let refused = |status, text: String| {
        render(
            &req,
            status,
            form_page((locale, chosen), &f.next, f.email.clone(), Some(text)),
        )
    };
    let user = match checked {
        Ok(Some(user)) => user,
        Ok(None) => {
            let text = label(locale, "The email or password is wrong.").to_owned();
            return refused(actix_web::http::StatusCode::UNAUTHORIZED, text);
        }
        Err(e) if e.code.status() == 429 => {
            return refused(
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                message(locale, &e.detail),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.naive();
    let token = crate::http::write(&state, move |conn| {
        crate::accounts::open_console_session(conn, &user, now)
    })
    .await?;
    let mut to = see_other(safe_next(&f.next));
    let _ = to.add_cookie(&cookie(&req, SESSION_COOKIE, token));
    let _ = to.add_cookie(&expired(&req, SIGN_IN_COOKIE));
    Ok(to)
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: Posted<Nothing>,
) -> Result<HttpResponse, Shown> {
    let token = posted.viewer.token().to_owned();
    crate::http::write(&state, move |conn| {
        crate::accounts::close_console_session(conn, &token)
    })
    .await?;
    let mut to = see_other("/console/sign-in");
    let _ = to.add_cookie(&expired(&req, SESSION_COOKIE));
    Ok(to)
}

#[derive(Deserialize)]
pub struct Language {
    lang: String,
    #[serde(default)]
    back: String,
}

/// Switches the console's language for this browser.
pub async fn set_language(
    req: HttpRequest,
    posted: Posted<Language>,
) -> Result<HttpResponse, Shown> {
    let f = posted.form;
    let lang = Locale::parse(&f.lang).unwrap_or(posted.viewer.locale);
    let mut to = see_other(safe_next(&f.back));
    let _ = to.add_cookie(&cookie(&req, LANGUAGE_COOKIE, lang.as_str().to_owned()));
    Ok(to)
}
