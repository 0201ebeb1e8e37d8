//! Authentication as an extractor: a handler that asks for [`AuthUser`] gets a caller with a
//! verified JWT or a live API token, or the request ends in 401. Roles are checked by
//! [`AuthUser::require`]; tenancy by explicit calls in the handlers and queries.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::error::{ApiError, ErrorCode};
use crate::app::AppState;
use crate::auth::{API_TOKEN_PREFIX, digest_api_token};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::Role;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub org: Option<OrganizationId>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 unless the caller has one of `roles` (admins always pass).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.is_admin() || roles.contains(&self.role) {
            return Ok(());
        }
        let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        names.push("admin");
        Err(ApiError::forbidden(format!(
            "this action needs the role {} (you are {})",
            names.join(" or "),
            self.role
        )))
    }

    /// True when the caller acts for `org`: its member, or an admin.
    pub fn acts_for(&self, org: OrganizationId) -> bool {
        self.is_admin() || self.org == Some(org)
    }
}

fn unauthorized(code: ErrorCode, detail: &str) -> ApiError {
    ApiError::new(code, detail)
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<AuthUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|h| h.to_str().unwrap_or("").to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
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
            Ok(AuthUser {
                id,
                role: claims.role,
                org: claims.org,
            })
        })
    }
}

async fn api_token_user(state: &web::Data<AppState>, token: &str) -> Result<AuthUser, ApiError> {
    let digest = digest_api_token(token);
    let now = crate::db::now();
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
    Ok(AuthUser {
        id: UserId(user.id),
        role: Role::parse(&user.role)
            .ok_or_else(|| ApiError::internal("stored role is unknown"))?,
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
    pub user: AuthUser,
    allowed: PhantomData<A>,
}

impl<A: Allowed + 'static> FromRequest for Authorized<A> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Authorized<A>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
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
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Json<T>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let raw = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = raw.await.map_err(|e| match e.as_error::<ApiError>() {
                Some(api) => ApiError::new(api.code, api.detail.clone()),
                None => ApiError::new(
                    ErrorCode::MalformedJson,
                    format!("cannot read the body: {e}"),
                ),
            })?;
            if has_nul(&value) {
                return Err(ApiError::new(
                    ErrorCode::InvalidBody,
                    "text must not contain NUL (\\u0000) characters",
                ));
            }
            serde_json::from_value(value.into_inner())
                .map(Json)
                .map_err(|e| {
                    ApiError::new(
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
