//! Extractors: the authenticated caller (as `authn` resolved them), role checks, the client's
//! address, and JSON bodies. What the actor may do is decided below HTTP.

use std::marker::PhantomData;
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::types::Role;
use crate::error::{ErrorCode, ServiceError};

pub use crate::http::authn::Credential;
use crate::http::authn::authenticated;

impl FromRequest for Credential {
    type Error = ServiceError;
    type Future = std::future::Ready<Result<Credential, ServiceError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticated(req))
    }
}

impl FromRequest for Actor {
    type Error = ServiceError;
    type Future = std::future::Ready<Result<Actor, ServiceError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticated(req).map(|c| c.actor))
    }
}

/// The address a request comes from: the peer, or, when the peer is a trusted proxy, the
/// nearest address it forwarded for that is not itself a trusted proxy.
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequest for ClientAddress {
    type Error = ServiceError;
    type Future = std::future::Ready<Result<ClientAddress, ServiceError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.trusted_proxies.clone())
            .unwrap_or_default();
        let peer = req.peer_addr().map(|a| a.ip());
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        std::future::ready(Ok(ClientAddress(client_of(peer, &forwarded, &trusted))))
    }
}

/// Walks the forwarding chain back from the peer while the hops are trusted proxies.
fn client_of(peer: Option<IpAddr>, forwarded: &[IpAddr], trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut client = peer?;
    for hop in forwarded.iter().rev() {
        if !trusted.contains(&client) {
            break;
        }
        client = *hop;
    }
    Some(client)
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

/// Fields whose text may run over several lines.
const PROSE: &[&str] = &["purpose", "reason", "status_reason", "description"];

/// The first string (or key) of a body holding a character no tenant should be shown: a NUL
/// (PostgreSQL cannot store one), another control character (line breaks only where a field
/// is prose), or a bidirectional override that makes text read other than it is stored.
fn bad_text(value: &serde_json::Value, field: &str) -> Option<(String, char)> {
    let lines = PROSE.contains(&field.rsplit('.').next().unwrap_or(field));
    match value {
        serde_json::Value::String(s) => {
            crate::domain::bad_char(s, lines).map(|c| (field.to_owned(), c))
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_text(v, &format!("{field}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let name = if field.is_empty() {
                k.clone()
            } else {
                format!("{field}.{k}")
            };
            match crate::domain::bad_char(k, false) {
                Some(c) => Some((name, c)),
                None => bad_text(v, &name),
            }
        }),
        _ => None,
    }
}

fn bad_text_error(field: &str, c: char) -> ServiceError {
    let what = format!(
        "must not contain U+{:04X}: control characters{} and bidirectional overrides are refused",
        u32::from(c),
        if PROSE.contains(&field) {
            " other than line breaks and tabs"
        } else {
            ""
        }
    );
    ServiceError::new(ErrorCode::InvalidBody, format!("{field}: {what}"))
        .with_issues(vec![crate::domain::Issue::field(field, what)])
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
            if let Some((field, c)) = bad_text(&value, "") {
                return Err(bad_text_error(&field, c));
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
