//! Machine clients' API tokens: each user creates, lists and revokes their own.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::accounts::prove_password;
use super::{created, ok};
use crate::app::AppState;
use crate::db::tokens::{self, NewApiToken};
use crate::domain::actor::Actor;
use crate::domain::ids::ApiTokenId;
use crate::domain::token_life::token_end;
use crate::error::ServiceError;
use crate::http::dto::accounts::{ApiToken, CreateApiToken, CreatedApiToken};
use crate::http::extract::{ClientAddress, Credential, Json};
use crate::http::page::Page;
use crate::http::{read, write};

pub async fn create_api_token(
    state: web::Data<AppState>,
    credential: Credential,
    client: ClientAddress,
    body: Json<CreateApiToken>,
) -> Result<HttpResponse, ServiceError> {
    let body = body.into_inner();
    let name = body.name.trim().to_owned();
    if !crate::domain::text_fits(&body.name, 100) {
        return Err(ServiceError::invalid_field(
            "name",
            "must be 1 to 100 characters",
        ));
    }
    let user = credential.actor.id;
    let proven = match body.password {
        Some(password) => prove_password(&state, user, password, client.0, "password").await?,
        None => false,
    };
    let now = state.clock.naive();
    let expires_at = token_end(now, body.expires_in_days, credential.expires_at, proven)?;
    let (token, digest) = crate::auth::new_api_token();
    let new = NewApiToken {
        user_id: user.0,
        name,
        token_hash: digest,
        created_at: now,
        expires_at: Some(expires_at),
    };
    let row = write(&state, move |conn| Ok(tokens::insert(conn, &new)?)).await?;
    let location = format!("/api/v1/api-tokens/{}", row.id);
    Ok(created(
        &location,
        CreatedApiToken {
            meta: row.into(),
            token,
        },
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_api_tokens(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ServiceError> {
    let page = Page::parse(query.limit, query.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        Ok(tokens::list_for_user(conn, user.id, after, fetch)?)
    })
    .await?;
    Ok(ok(page.finish(rows, |t| t.id.to_string(), ApiToken::from)))
}

pub async fn revoke_api_token(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = ApiTokenId(path.into_inner());
    let now = state.clock.naive();
    let found = write(&state, move |conn| {
        Ok(tokens::revoke(conn, id, user.id, now)?)
    })
    .await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ServiceError::not_found("API token"))
    }
}
