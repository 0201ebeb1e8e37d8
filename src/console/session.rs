//! Signing in to the console: an HttpOnly, SameSite=Lax cookie holds a random session token
//! (Secure when the request came over TLS); every form carries a token derived from it, checked
//! before anything is written, and a cross-site `Origin` is refused. Sign-in goes through the
//! same throttled password check as `POST /api/v1/auth/token`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::chrome::Chrome;
use super::shown::Shown;
use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::types::Locale;

pub const SESSION_COOKIE: &str = "ib_session";
pub const LANGUAGE_COOKIE: &str = "ib_lang";
/// The sign-in form's own token, before there is a session to derive one from.
pub const SIGN_IN_COOKIE: &str = "ib_sign_in";

/// The signed-in user of a console request.
pub struct Viewer {
    pub actor: Actor,
    pub locale: Locale,
    pub name: String,
    /// The form token of this session.
    pub csrf: String,
    token: String,
    here: String,
}

impl Viewer {
    /// The frame of a page, with the notice of what was just done.
    pub fn chrome(&self, notice: Option<String>) -> Chrome {
        Chrome {
            locale: self.locale,
            name: self.name.clone(),
            role: self.actor.role,
            csrf: self.csrf.clone(),
            here: self.here.clone(),
            notice,
        }
    }

    pub fn token(&self) -> &str {
        &self.token
    }
}

/// The form token of a session or sign-in token: a digest only the holder of the cookie knows.
pub fn form_token(secret: &str) -> String {
    let hash = Sha256::digest(format!("console-form:{secret}").as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without stopping at the first difference, so the time taken tells nothing.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The language this browser chose with the console's switch, if it chose one.
pub fn chosen_locale(req: &HttpRequest) -> Option<Locale> {
    req.cookie(LANGUAGE_COOKIE)
        .and_then(|c| Locale::parse(c.value()))
}

/// The language of a page for someone not signed in: the one chosen, then `Accept-Language`.
pub fn asked_locale(req: &HttpRequest) -> Option<Locale> {
    chosen_locale(req).or_else(|| {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::http::locale::asked_for)
    })
}

impl FromRequest for Viewer {
    type Error = Shown;
    type Future = LocalBoxFuture<'static, Result<Viewer, Shown>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let here = match req.query_string() {
                "" => req.path().to_owned(),
                q => format!("{}?{q}", req.path()),
            };
            let sign_in = || Shown::SignIn(here.clone());
            let token = req
                .cookie(SESSION_COOKIE)
                .ok_or_else(sign_in)?
                .value()
                .to_owned();
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| Shown::from(crate::error::ServiceError::internal("no state")))?
                .clone();
            let now = state.clock.naive();
            let t = token.clone();
            let found = crate::http::read(&state, move |conn| {
                crate::accounts::console_actor(conn, &t, now)
            })
            .await?;
            let (actor, user) = found.ok_or_else(sign_in)?;
            let locale = chosen_locale(&req).unwrap_or_else(|| Locale::of_user(&user.locale));
            req.extensions_mut().insert(locale);
            Ok(Viewer {
                actor,
                locale,
                name: user.display_name,
                csrf: form_token(&token),
                token,
                here,
            })
        })
    }
}

/// A form posted by the signed-in user, read only once its token and origin check out.
pub struct Posted<F> {
    pub viewer: Viewer,
    pub form: F,
}

#[derive(Deserialize)]
struct FormToken {
    #[serde(default)]
    csrf: String,
}

/// Refuses a form sent from another site: a browser names the page's origin on a POST.
pub fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let host = req.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(&host))
}

impl<F: DeserializeOwned + 'static> FromRequest for Posted<F> {
    type Error = Shown;
    type Future = LocalBoxFuture<'static, Result<Posted<F>, Shown>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        let origin_ok = same_origin(req);
        Box::pin(async move {
            let viewer = viewer.await?;
            let body = body.await.map_err(|_| Shown::BadForm)?;
            let sent: FormToken =
                serde_urlencoded::from_bytes(&body).map_err(|_| Shown::BadForm)?;
            if !origin_ok || !same(&sent.csrf, &viewer.csrf) {
                return Err(Shown::Forged);
            }
            let form = serde_urlencoded::from_bytes(&body).map_err(|_| Shown::BadForm)?;
            Ok(Posted { viewer, form })
        })
    }
}

/// A cookie of the console: HttpOnly and SameSite=Lax, Secure over TLS.
pub fn cookie(req: &HttpRequest, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(req.connection_info().scheme() == "https")
        .finish()
}

/// A cookie that the browser drops at once.
pub fn expired(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(req, name, String::new());
    gone.make_removal();
    gone
}

/// A 303 to `to`: after a form, the browser asks for the page to show with GET.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// Where a sign-in may send the user on: a console page, never another site.
pub fn safe_next(next: &str) -> &str {
    let inside = next.starts_with("/console") && !next.starts_with("//") && !next.contains('\\');
    if inside { next } else { "/console" }
}
