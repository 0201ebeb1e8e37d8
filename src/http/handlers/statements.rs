//! Settlement statements: issued by a provider institution to an issuing agency, agreed and paid
//! by the agency, or withdrawn or disputed before that.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{created, ok};
use crate::app::AppState;
use crate::db::statements::StatementFilter;
use crate::domain::actor::Actor;
use crate::domain::statement::Step;
use crate::domain::types::StatementStatus;
use crate::error::ServiceError;
use crate::http::dto::bookings::Reason;
use crate::http::dto::statements::{IssueStatement, Payment, SettlementStatement};
use crate::http::extract::{Authorized, Issuers, Json, Managers};
use crate::http::page::Page;
use crate::http::{read, write};
use crate::settlements::statements;

/// Issues a statement of every payment in the period not yet on a live statement.
pub async fn issue_statement(
    state: web::Data<AppState>,
    Authorized { user, .. }: Authorized<Managers>,
    body: Json<IssueStatement>,
) -> Result<HttpResponse, ServiceError> {
    let draft = body.into_inner().into();
    let now = state.clock.naive();
    let s = write(&state, move |conn| {
        statements::issue(conn, &user, draft, now)
    })
    .await?;
    let at = format!("/api/v1/settlement-statements/{}", s.row.id);
    Ok(created(&at, SettlementStatement::from(s)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    status: Option<StatementStatus>,
    issuer_id: Option<i64>,
    provider_id: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_statements(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ServiceError> {
    let q = query.into_inner();
    let filter = StatementFilter {
        party: None,
        status: q.status,
        issuer_id: q.issuer_id,
        provider_id: q.provider_id,
    };
    let page = Page::parse(q.limit, q.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows = read(&state, move |conn| {
        statements::list(conn, &user, filter, (after, fetch))
    })
    .await?;
    Ok(ok(page.finish(
        rows,
        |r| r.id.to_string(),
        |r| SettlementStatement::of(r, None),
    )))
}

pub async fn get_statement(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let s = read(&state, move |conn| statements::find(conn, &user, id)).await?;
    Ok(ok(SettlementStatement::from(s)))
}

pub async fn agree_statement(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    take(state, a.user, (path.into_inner(), Step::Agree), None).await
}

/// Records the agency's payment of an agreed statement, with the transfer's reference.
pub async fn pay_statement(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
    body: Json<Payment>,
) -> Result<HttpResponse, ServiceError> {
    let reference = body.into_inner().reference.trim().to_owned();
    if !crate::domain::text_fits(&reference, 100) {
        return Err(ServiceError::invalid_field(
            "reference",
            "give the transfer's reference (1 to 100 characters)",
        ));
    }
    let step = (path.into_inner(), Step::Pay);
    take(state, a.user, step, Some(reference)).await
}

pub async fn withdraw_statement(
    state: web::Data<AppState>,
    a: Authorized<Managers>,
    path: web::Path<i64>,
    body: Json<Reason>,
) -> Result<HttpResponse, ServiceError> {
    let why = body.into_inner().text()?;
    take(
        state,
        a.user,
        (path.into_inner(), Step::Withdraw),
        Some(why),
    )
    .await
}

pub async fn dispute_statement(
    state: web::Data<AppState>,
    a: Authorized<Issuers>,
    path: web::Path<i64>,
    body: Json<Reason>,
) -> Result<HttpResponse, ServiceError> {
    let why = body.into_inner().text()?;
    take(state, a.user, (path.into_inner(), Step::Dispute), Some(why)).await
}

async fn take(
    state: web::Data<AppState>,
    user: Actor,
    step: (i64, Step),
    note: Option<String>,
) -> Result<HttpResponse, ServiceError> {
    let now = state.clock.naive();
    let s = write(&state, move |conn| {
        statements::advance(conn, &user, step, note, now)
    })
    .await?;
    Ok(ok(SettlementStatement::from(s)))
}
