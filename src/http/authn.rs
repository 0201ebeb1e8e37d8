//! Authentication before any extractor runs: a middleware resolves the request's bearer token
//! (a JWT checked against the account as it is now, or a live API token) and leaves the outcome
//! in the request, where the `Actor` and `Credential` extractors read it. Doing it here, rather
//! than in an extractor, settles who the caller is before a handler's body is read, so that a
//! caller who may not act learns that first.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

use crate::app::AppState;
use crate::auth::{API_TOKEN_PREFIX, digest_api_token};
use crate::domain::actor::Actor;
use crate::domain::types::Locale;
use crate::error::{ErrorCode, ServiceError};

/// The caller behind a request's credential, and when that credential stops working.
#[derive(Debug, Clone)]
pub struct Credential {
    pub actor: Actor,
    /// When the access or API token expires, on the service's clock.
    pub expires_at: chrono::NaiveDateTime,
    /// The language the user reads.
    pub locale: Locale,
}

/// What the middleware found: a credential, or why there is none (code and detail).
#[derive(Clone)]
struct Outcome(Result<Credential, (ErrorCode, String)>);

fn unauthorized(code: ErrorCode, detail: &str) -> ServiceError {
    ServiceError::new(code, detail)
}

/// Whether a path's handlers may ask who the caller is: the API, less signing in. Probes,
/// metrics, the description and problem pages never do, so a token sent to them costs nothing.
fn may_need_caller(path: &str) -> bool {
    path.starts_with("/api/") && path != "/api/v1/auth/token"
}

/// Resolves the bearer token of a request that sends one to a path that may need it.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(AUTHORIZATION) && may_need_caller(req.path()) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let found = match (&state, bearer_token(req.request())) {
            (Some(state), Ok(token)) => resolve(state, &token).await,
            (None, _) => Err(ServiceError::internal("application state missing")),
            (_, Err(e)) => Err(e),
        };
        let writer = match (&found, &state) {
            (Ok(c), Some(state)) if !req.method().is_safe() => Some((state.clone(), c.actor.id)),
            _ => None,
        };
        let outcome = found.map_err(|e| (e.code, e.detail));
        req.extensions_mut().insert(Outcome(outcome));
        let answered = next.call(req).await;
        // After the answer, so a write's commit precedes the moment noted: the caller's reads
        // stay on the primary until a replica has replayed it.
        if let Some((state, user)) = writer {
            state.reads.written();
            state.db.note_write(user.0);
        }
        return answered;
    }
    next.call(req).await
}

async fn resolve(state: &web::Data<AppState>, token: &str) -> Result<Credential, ServiceError> {
    if token.starts_with(API_TOKEN_PREFIX) {
        api_token_user(state, token).await
    } else {
        access_token_user(state, token).await
    }
}

/// The credential the middleware resolved for `req`, or the 401 (or 5xx) it ran into.
pub fn authenticated(req: &HttpRequest) -> Result<Credential, ServiceError> {
    match req.extensions().get::<Outcome>() {
        Some(Outcome(Ok(credential))) => Ok(credential.clone()),
        Some(Outcome(Err((code, detail)))) => Err(ServiceError::new(*code, detail.clone())),
        None => Err(unauthorized(
            ErrorCode::MissingCredentials,
            "send Authorization: Bearer TOKEN; get a token from POST /api/v1/auth/token",
        )),
    }
}

/// The language of the user behind `req`'s credential, when it has a good one.
pub fn caller_locale(req: &HttpRequest) -> Option<Locale> {
    match req.extensions().get::<Outcome>() {
        Some(Outcome(Ok(credential))) => Some(credential.locale),
        _ => None,
    }
}

/// The token of an `Authorization` header; the scheme is matched without regard to case
/// (RFC 9110 section 11.1).
fn bearer_token(req: &HttpRequest) -> Result<String, ServiceError> {
    let text = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    text.split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            unauthorized(
                ErrorCode::InvalidToken,
                "the Authorization header must be: Bearer TOKEN",
            )
        })
}

/// A JWT's account as it is now: refused when deactivated, or when its password, role or
/// standing changed after the token was signed.
async fn access_token_user(
    state: &web::Data<AppState>,
    token: &str,
) -> Result<Credential, ServiceError> {
    let now = chrono::Utc::now().timestamp();
    let (id, claims) = state.keys.verify(token, now).map_err(|reason| {
        unauthorized(
            ErrorCode::InvalidToken,
            &format!("the access token is not valid: {reason}"),
        )
    })?;
    let version = claims.ver;
    let actor = match state.reads.account(id, version) {
        Some(known) => known,
        None => {
            let generation = state.reads.generation();
            let found = crate::http::read(state, move |conn| {
                crate::accounts::session_actor(conn, id, version)
            })
            .await?;
            state
                .reads
                .keep_account(id, version, found.clone(), generation);
            found
        }
    };
    let (actor, locale) = actor.ok_or_else(|| {
        unauthorized(
            ErrorCode::InvalidToken,
            "the access token is no longer valid: the account was deactivated or its password \
             or role changed since it was signed; sign in again",
        )
    })?;
    // Access tokens live on the system clock; what is left of one is placed on the service's.
    let left = chrono::Duration::seconds(claims.exp - now);
    Ok(Credential {
        actor,
        expires_at: state.clock.naive() + left,
        locale,
    })
}

async fn api_token_user(
    state: &web::Data<AppState>,
    token: &str,
) -> Result<Credential, ServiceError> {
    let digest = digest_api_token(token);
    let now = state.clock.naive();
    let found = crate::http::read(state, move |conn| {
        crate::accounts::api_token_actor(conn, &digest, now)
    })
    .await?;
    let (actor, locale, expires_at) = found.ok_or_else(|| {
        unauthorized(
            ErrorCode::InvalidToken,
            "the API token is unknown, revoked or expired",
        )
    })?;
    Ok(Credential {
        actor,
        expires_at,
        locale,
    })
}
