//! Sign-in, the caller's own account, and the jurisdiction list.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::ok;
use crate::app::AppState;
use crate::auth::Subject;
use crate::db::users::UserChanges;
use crate::db::users::UserRow;
use crate::db::{jurisdictions, organizations, users};
use crate::domain::actor::Actor;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::throttle;
use crate::domain::types::Role;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::accounts::{Jurisdiction, Me, TokenRequest, TokenResponse, UpdateMe, User};
use crate::http::extract::{ClientAddress, Json};
use crate::http::page::Page;
use crate::http::{read, write};
use crate::sign_in;

pub async fn create_token(
    state: web::Data<AppState>,
    client: ClientAddress,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ServiceError> {
    let TokenRequest { email, password } = body.into_inner();
    let user = checked_sign_in(&state, email, password, client.0).await?;
    let user = user.ok_or_else(|| {
        ServiceError::new(ErrorCode::InvalidCredentials, "email or password is wrong")
    })?;
    let subject = Subject {
        user: UserId(user.id),
        role: Role::parse(&user.role)
            .ok_or_else(|| ServiceError::internal("stored role unknown"))?,
        org: user.organization_id.map(OrganizationId),
        version: user.token_version,
    };
    let token = state
        .keys
        .issue(&subject, chrono::Utc::now().timestamp())
        .map_err(ServiceError::internal)?;
    Ok(ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.keys.ttl_seconds,
    }))
}

/// Checks a password within the sign-in limits: refused (429) while they are used up, the
/// account when it matches, and the outcome counted.
pub async fn checked_sign_in(
    state: &web::Data<AppState>,
    email: String,
    password: String,
    client: Option<std::net::IpAddr>,
) -> Result<Option<UserRow>, ServiceError> {
    let limits = throttle::limits(&email, client);
    let now = state.clock.naive();
    let gate = limits.clone();
    read(state, move |conn| sign_in::admit(conn, &gate, now)).await?;
    let user = read(state, move |conn| {
        crate::accounts::login(conn, &email, &password)
    })
    .await?;
    let outcome = user.clone();
    write(state, move |conn| {
        sign_in::record(conn, &limits, outcome.as_ref(), now)
    })
    .await?;
    Ok(user)
}

/// Checks the caller's own password (sent as `field`) within the sign-in limits; a wrong one
/// is a 422 naming the field.
pub async fn prove_password(
    state: &web::Data<AppState>,
    user: UserId,
    password: String,
    client: Option<std::net::IpAddr>,
    field: &str,
) -> Result<bool, ServiceError> {
    let me = read(state, move |conn| Ok(users::find(conn, user)?))
        .await?
        .ok_or_else(|| ServiceError::not_found("user"))?;
    match checked_sign_in(state, me.email, password, client).await? {
        Some(u) if u.id == user.0 => Ok(true),
        _ => Err(ServiceError::invalid_field(
            field,
            "is not this account's password",
        )),
    }
}

pub async fn get_me(state: web::Data<AppState>, user: Actor) -> Result<HttpResponse, ServiceError> {
    me_response(&state, user).await
}

async fn me_response(
    state: &web::Data<AppState>,
    user: Actor,
) -> Result<HttpResponse, ServiceError> {
    let (me, org) = read(state, move |conn| {
        let me = users::find(conn, user.id)?.ok_or_else(|| ServiceError::not_found("user"))?;
        let org = match me.organization_id {
            Some(id) => organizations::find(conn, OrganizationId(id))?,
            None => None,
        };
        Ok((me, org))
    })
    .await?;
    Ok(ok(Me {
        user: me.into(),
        organization: org.map(Into::into),
    }))
}

pub async fn update_me(
    state: web::Data<AppState>,
    user: Actor,
    client: ClientAddress,
    body: Json<UpdateMe>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    let new_hash = match &b.password {
        Some(p) => {
            let name = b.display_name.as_deref().unwrap_or("");
            crate::accounts::check_password(p, &[name])?;
            let current = b.current_password.clone().ok_or_else(|| {
                ServiceError::invalid_field(
                    "current_password",
                    "give your current password to set a new one",
                )
            })?;
            prove_password(&state, user.id, current, client.0, "current_password").await?;
            Some(crate::auth::hash_password(p).map_err(ServiceError::internal)?)
        }
        None => None,
    };
    let changes = UserChanges {
        display_name: b.display_name,
        password_hash: new_hash,
        locale: b.locale.map(|l| l.as_str().to_owned()),
        updated_at: Some(state.clock.naive()),
        ..UserChanges::default()
    };
    let now = state.clock.naive();
    let actor = user.clone();
    write(&state, move |conn| {
        let before = crate::db::users::find(conn, actor.id)?.map(User::from);
        let why = changes
            .password_hash
            .is_some()
            .then_some("password changed");
        let row = crate::accounts::update_user(conn, actor.id, changes)?;
        let after = User::from(row.clone());
        let change = super::users::user_change(&row, "user.updated", why);
        crate::audit::record(conn, &actor, change, (before.as_ref(), Some(&after)), now)
    })
    .await?;
    me_response(&state, user).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionQuery {
    province: Option<crate::domain::types::Province>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_jurisdictions(
    state: web::Data<AppState>,
    _user: Actor,
    query: web::Query<JurisdictionQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let p = page.clone();
    let rows = read(&state, move |conn| {
        let province = q.province.map(|p| p.as_str());
        Ok(jurisdictions::list(
            conn,
            province,
            p.after.as_deref(),
            p.fetch(),
        )?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |j| j.code.clone(),
        Jurisdiction::from,
    )))
}
