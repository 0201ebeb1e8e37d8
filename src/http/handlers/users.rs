//! Users: admins manage everyone; managers read their own institution's staff.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{created, ok};
use crate::accounts::{self, UserDraft};
use crate::app::AppState;
use crate::db::users::{self, UserChanges, UserFilter};
use crate::domain::actor::Actor;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::{Locale, Role};
use crate::error::ServiceError;
use crate::http::dto::accounts::{CreateUser, UpdateUser, User};
use crate::http::extract::Json;
use crate::http::extract::{Admins, Authorized, Managers};
use crate::http::page::Page;
use crate::http::{read, write};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    organization_id: Option<i64>,
    role: Option<Role>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_users(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let org = accounts::listed_organization(&user, q.organization_id.map(OrganizationId))?;
    let filter = UserFilter {
        organization_id: org,
        role: q.role.map(|r| r.as_str().to_owned()),
    };
    let rows = read(&state, move |conn| {
        Ok(users::list(conn, &filter, after, fetch)?)
    })
    .await?;
    Ok(ok(page.finish(rows, |u| u.id.to_string(), User::from)))
}

pub async fn get_user(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = UserId(path.into_inner());
    let found = read(&state, move |conn| Ok(users::find(conn, id)?)).await?;
    match found.filter(|u| accounts::may_see_user(&user, u)) {
        Some(u) => Ok(ok(User::from(u))),
        None => Err(ServiceError::not_found("user")),
    }
}

pub async fn create_user(
    state: web::Data<AppState>,
    admin: Authorized<Admins>,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    crate::accounts::check_password(&b.password, &personal(&b.email, &b.display_name))?;
    let hash = crate::auth::hash_password(&b.password).map_err(ServiceError::internal)?;
    let draft = UserDraft {
        email: b.email,
        display_name: b.display_name,
        role: b.role,
        organization_id: b.organization_id.map(OrganizationId),
        locale: b.locale.unwrap_or(Locale::ZhCn),
    };
    let now = state.clock.naive();
    let row = write(&state, move |conn| {
        let row = crate::accounts::create_user(conn, draft, hash, now)?;
        let after = User::from(row.clone());
        let change = user_change(&row, "user.created", None);
        crate::audit::record(conn, &admin.user, change, (None::<&()>, Some(&after)), now)?;
        Ok(row)
    })
    .await?;
    let at = format!("/api/v1/users/{}", row.id);
    Ok(created(&at, User::from(row)))
}

pub async fn update_user(
    state: web::Data<AppState>,
    admin: Authorized<Admins>,
    path: web::Path<i64>,
    body: Json<UpdateUser>,
) -> Result<HttpResponse, ServiceError> {
    let id = UserId(path.into_inner());
    let b = body.into_inner();
    let password_hash = match &b.password {
        Some(p) => {
            crate::accounts::check_password(p, &personal("", &b.display_name))?;
            Some(crate::auth::hash_password(p).map_err(ServiceError::internal)?)
        }
        None => None,
    };
    let changes = UserChanges {
        display_name: b.display_name,
        password_hash,
        role: b.role.map(|r| r.as_str().to_owned()),
        locale: b.locale.map(|l| l.as_str().to_owned()),
        active: b.active,
        updated_at: Some(state.clock.naive()),
    };
    if id == admin.user.id {
        crate::accounts::check_own_standing(&changes)?;
    }
    let now = state.clock.naive();
    let row = write(&state, move |conn| {
        let before = crate::db::users::find(conn, id)?.map(User::from);
        let why = changes.password_hash.is_some().then_some("password set");
        let row = crate::accounts::update_user(conn, id, changes)?;
        let after = User::from(row.clone());
        let change = user_change(&row, "user.updated", why);
        crate::audit::record(
            conn,
            &admin.user,
            change,
            (before.as_ref(), Some(&after)),
            now,
        )?;
        Ok(row)
    })
    .await?;
    Ok(ok(User::from(row)))
}

/// A change of a user's account, on their organisation's trail (the platform's for admins).
pub fn user_change<'a>(
    row: &crate::db::users::UserRow,
    action: &'a str,
    reason: Option<&'a str>,
) -> crate::audit::Change<'a> {
    crate::audit::Change {
        subject: ("user", row.id),
        action,
        owner: row.organization_id,
        party: None,
        reason,
    }
}

/// What a password must not be built from: the account's own email and name.
fn personal<'a>(email: &'a str, name: &'a Option<String>) -> [&'a str; 2] {
    [email, name.as_deref().unwrap_or("")]
}
