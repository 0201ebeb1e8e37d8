//! Organisations: admins manage them; everyone reads institutions, agencies and their own.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{created, ok};
use crate::app::AppState;
use crate::db::jurisdictions;
use crate::db::organizations::{self, OrgFilter, OrganizationRow, OrganizationValues};
use crate::domain::actor::Actor;
use crate::domain::ids::OrganizationId;
use crate::domain::types::{OrgKind, Province};
use crate::error::ServiceError;
use crate::http::dto::accounts::{CreateOrganization, Organization, UpdateOrganization};
use crate::http::extract::Json;
use crate::http::extract::{Admins, Authorized};
use crate::http::page::Page;
use crate::http::{read, write};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgQuery {
    kind: Option<OrgKind>,
    province: Option<Province>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_organizations(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<OrgQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        let codes = match q.province {
            Some(p) => Some(
                jurisdictions::list(conn, Some(p.as_str()), None, 1000)?
                    .into_iter()
                    .map(|j| j.code)
                    .collect(),
            ),
            None => None,
        };
        let filter = OrgFilter {
            kind: q.kind.map(|k| k.as_str().to_owned()),
            jurisdiction_codes: codes,
            visible_to: (!user.is_admin()).then_some(user.org),
        };
        Ok(organizations::list(conn, &filter, after, fetch)?)
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |o| o.id.to_string(),
        Organization::from,
    )))
}

/// Enterprises are private to themselves and admins: others get 404, as if absent.
fn visible(user: &Actor, org: &organizations::OrganizationRow) -> bool {
    user.acts_for(OrganizationId(org.id)) || org.kind != OrgKind::Enterprise.as_str()
}

pub async fn get_organization(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = OrganizationId(path.into_inner());
    let org = read(&state, move |conn| Ok(organizations::find(conn, id)?)).await?;
    match org.filter(|o| visible(&user, o)) {
        Some(o) => Ok(ok(Organization::from(o))),
        None => Err(ServiceError::not_found("organisation")),
    }
}

pub async fn create_organization(
    state: web::Data<AppState>,
    admin: Authorized<Admins>,
    body: Json<CreateOrganization>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    let now = state.clock.naive();
    let values = OrganizationValues {
        kind: b.kind.as_str().into(),
        name_en: b.name_en,
        name_zh: b.name_zh,
        jurisdiction_code: b.jurisdiction_code,
        uscc: b.uscc.map(|u| u.trim().to_uppercase()),
        updated_at: state.clock.naive(),
    };
    let row = write(&state, move |conn| {
        let row = crate::accounts::create_organization(conn, values)?;
        let after = Organization::from(row.clone());
        let change = org_change(&row, "organization.created");
        crate::audit::record(conn, &admin.user, change, (None::<&()>, Some(&after)), now)?;
        Ok(row)
    })
    .await?;
    let at = format!("/api/v1/organizations/{}", row.id);
    Ok(created(&at, Organization::from(row)))
}

pub async fn update_organization(
    state: web::Data<AppState>,
    admin: Authorized<Admins>,
    path: web::Path<i64>,
    body: Json<UpdateOrganization>,
) -> Result<HttpResponse, ServiceError> {
    let clock = state.clock.clone();
    let id = OrganizationId(path.into_inner());
    let b = body.into_inner();
    let row = write(&state, move |conn| {
        let cur = organizations::find(conn, id)?
            .ok_or_else(|| ServiceError::not_found("organisation"))?;
        let before = Organization::from(cur.clone());
        let values = OrganizationValues {
            kind: cur.kind,
            name_en: b.name_en.unwrap_or(cur.name_en),
            name_zh: b.name_zh.unwrap_or(cur.name_zh),
            jurisdiction_code: b.jurisdiction_code.unwrap_or(cur.jurisdiction_code),
            uscc: b.uscc.map(|u| u.trim().to_uppercase()).or(cur.uscc),
            updated_at: clock.naive(),
        };
        let values = crate::accounts::check_organization(conn, values, Some(id))?;
        let row = organizations::update(conn, id, &values)?;
        let change = org_change(&row, "organization.updated");
        let after = Organization::from(row.clone());
        let before = Some(&before);
        crate::audit::record(
            conn,
            &admin.user,
            change,
            (before, Some(&after)),
            clock.naive(),
        )?;
        Ok(row)
    })
    .await?;
    Ok(ok(Organization::from(row)))
}

fn org_change<'a>(row: &OrganizationRow, action: &'a str) -> crate::audit::Change<'a> {
    crate::audit::Change {
        subject: ("organization", row.id),
        action,
        owner: Some(row.id),
        party: None,
        reason: None,
    }
}
