//! Sign-in, the caller's own account, and the jurisdiction list.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::ok;
use crate::app::AppState;
use crate::db::users::UserChanges;
use crate::db::{jurisdictions, organizations, users};
use crate::domain::actor::Actor;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::Role;
use crate::error::{ErrorCode, ServiceError};
use crate::http::dto::accounts::{Jurisdiction, Me, TokenRequest, TokenResponse, UpdateMe};
use crate::http::extract::Json;
use crate::http::page::Page;
use crate::http::{read, write};

pub async fn create_token(
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ServiceError> {
    let TokenRequest { email, password } = body.into_inner();
    let user = read(&state, move |conn| {
        crate::accounts::login(conn, &email, &password)
    })
    .await?;
    let user = user.ok_or_else(|| {
        ServiceError::new(ErrorCode::InvalidCredentials, "email or password is wrong")
    })?;
    let role =
        Role::parse(&user.role).ok_or_else(|| ServiceError::internal("stored role unknown"))?;
    let now = chrono::Utc::now().timestamp();
    let token = state
        .keys
        .issue(
            UserId(user.id),
            role,
            user.organization_id.map(OrganizationId),
            now,
        )
        .map_err(ServiceError::internal)?;
    Ok(ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.keys.ttl_seconds,
    }))
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
    body: Json<UpdateMe>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    let new_hash = match &b.password {
        Some(p) => {
            crate::accounts::check_password(p)?;
            Some(crate::auth::hash_password(p).map_err(ServiceError::internal)?)
        }
        None => None,
    };
    let changes = UserChanges {
        display_name: b.display_name,
        password_hash: new_hash.clone(),
        locale: b.locale.map(|l| l.as_str().to_owned()),
        updated_at: Some(state.clock.naive()),
        ..UserChanges::default()
    };
    let current = b.current_password;
    write(&state, move |conn| {
        if new_hash.is_some() {
            let me = users::find(conn, user.id)?.ok_or_else(|| ServiceError::not_found("user"))?;
            let proof = current.as_deref().unwrap_or("");
            if !crate::auth::verify_password(proof, &me.password_hash) {
                return Err(ServiceError::invalid_field(
                    "current_password",
                    "give your current password to set a new one",
                ));
            }
        }
        crate::accounts::update_user(conn, user.id, changes)
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
