//! Authentication as an extractor: a handler that asks for an [`Actor`] gets the caller of a
//! verified JWT or a live API token, or the request ends in 401. This module only turns a request
//! into an `Actor`; what the actor may do is decided below HTTP.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::app::AppState;
use crate::auth::{API_TOKEN_PREFIX, digest_api_token};
use crate::domain::actor::Actor;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::Role;
use crate::error::{ErrorCode, ServiceError};

fn unauthorized(code: ErrorCode, detail: &str) -> ServiceError {
    ServiceError::new(code, detail)
}

impl FromRequest for Actor {
    type Error = ServiceError;
    type Future = LocalBoxFuture<'static, Result<Actor, ServiceError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|h| h.to_str().unwrap_or("").to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| ServiceError::internal("application state missing"))?;
            let header = header.ok_or_else(|| {
                unauthorized(
                    ErrorCode::MissingCredentials,
                    "send Authorization: Bearer TOKEN; get a token from POST /api/v1/auth/token",
                )
            })?;
            let token = header
                .strip_prefix("Bearer ")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    unauthorized(
                        ErrorCode::InvalidToken,
                        "the Authorization header must be: Bearer TOKEN",
                    )
                })?;
            if token.starts_with(API_TOKEN_PREFIX) {
                return api_token_user(&state, token).await;
            }
            let (id, claims) = state.keys.verify(token).map_err(|reason| {
                unauthorized(
                    ErrorCode::InvalidToken,
                    &format!("the access token is not valid: {reason}"),
                )
            })?;
            Ok(Actor {
                id,
                role: claims.role,
                org: claims.org,
            })
        })
    }
}

async fn api_token_user(state: &web::Data<AppState>, token: &str) -> Result<Actor, ServiceError> {
    let digest = digest_api_token(token);
    let now = state.clock.naive();
    let user = super::read(state, move |conn| {
        Ok(crate::db::tokens::authenticate(conn, &digest, now)?)
    })
    .await?;
    let user = user.ok_or_else(|| {
        unauthorized(
            ErrorCode::InvalidToken,
            "the API token is unknown, revoked or expired",
        )
    })?;
    Ok(Actor {
        id: UserId(user.id),
        role: Role::parse(&user.role)
            .ok_or_else(|| ServiceError::internal("stored role is unknown"))?,
        org: user.organization_id.map(OrganizationId),
    })
}

/// The roles an [`Authorized`] extractor admits, besides admins, who are always admitted.
pub trait Allowed {
    const ROLES: &'static [Role];
}

/// Lab managers (and admins).
pub struct Managers;
impl Allowed for Managers {
    const ROLES: &'static [Role] = &[Role::Manager];
}

/// Admins only.
pub struct Admins;
impl Allowed for Admins {
    const ROLES: &'static [Role] = &[];
}

/// An authenticated caller whose role is checked before the body is read, so that a caller who
/// may not act learns that (403) rather than what is wrong with their body.
pub struct Authorized<A: Allowed> {
    pub user: Actor,
    allowed: PhantomData<A>,
}

impl<A: Allowed + 'static> FromRequest for Authorized<A> {
    type Error = ServiceError;
    type Future = LocalBoxFuture<'static, Result<Authorized<A>, ServiceError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = Actor::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            user.require(A::ROLES)?;
            Ok(Authorized {
                user,
                allowed: PhantomData,
            })
        })
    }
}

/// A JSON body, read with the application's limits and error mapping, in which no string holds
/// a NUL character (PostgreSQL cannot store one, so it is refused on both backends alike).
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ServiceError;
    type Future = LocalBoxFuture<'static, Result<Json<T>, ServiceError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = raw.await.map_err(|e| match e.as_error::<ServiceError>() {
                Some(api) => ServiceError::new(api.code, api.detail.clone()),
                None => ServiceError::new(
                    ErrorCode::MalformedJson,
                    format!("cannot read the body: {e}"),
                ),
            })?;
            if has_nul(&value) {
                return Err(ServiceError::new(
                    ErrorCode::InvalidBody,
                    "text must not contain NUL (\\u0000) characters",
                ));
            }
            serde_json::from_value(value.into_inner())
                .map(Json)
                .map_err(|e| {
                    ServiceError::new(
                        ErrorCode::InvalidBody,
                        format!("the body does not have the expected fields: {e}"),
                    )
                })
        })
    }
}

/// Voucher issuers (and admins).
pub struct Issuers;
impl Allowed for Issuers {
    const ROLES: &'static [Role] = &[Role::Issuer];
}

/// Those who decide on requests: operators and lab managers (and admins).
pub struct Deciders;
impl Allowed for Deciders {
    const ROLES: &'static [Role] = &[Role::Manager, Role::Operator];
}
