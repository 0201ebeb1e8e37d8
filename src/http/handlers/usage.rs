//! Recording actual use (check-in, check-out) and granting qualifications for self-operation.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::bookings::decision_response;
use super::{created, ok};
use crate::app::AppState;
use crate::booking::usage;
use crate::db::resources;
use crate::db::schema::qualifications as q;
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::error::ServiceError;
use crate::http::dto::parse_instant;
use crate::http::extract::Json;
use crate::http::idempotency::Key;
use crate::http::page::Page;
use crate::http::{read, write};

/// An optional body for check-in and check-out: when it really happened, if recorded late.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedAt {
    at: Option<String>,
}

/// Reads the optional body: none, or `{"at": "<RFC 3339>"}`.
fn recorded_at(body: &web::Bytes) -> Result<Option<chrono::DateTime<Utc>>, ServiceError> {
    let parsed: RecordedAt = super::optional_json(body, r#"{"at": "<RFC 3339 time>"}"#)?;
    parsed
        .at
        .map(|t| parse_instant("at", &t).map(|n| n.and_utc()))
        .transpose()
}

pub async fn check_in_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let at = recorded_at(&body)?;
    let key = Key::of(&req, &String::from_utf8_lossy(&body))?;
    let id = path.into_inner();
    decision_response(state, &user.clone(), key, move |conn| {
        usage::check_in(conn, &user, id, Utc::now(), at)
    })
    .await
}

pub async fn check_out_booking(
    state: web::Data<AppState>,
    user: Actor,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ServiceError> {
    let at = recorded_at(&body)?;
    let key = Key::of(&req, &String::from_utf8_lossy(&body))?;
    let id = path.into_inner();
    decision_response(state, &user.clone(), key, move |conn| {
        usage::check_out(conn, &user, id, Utc::now(), at)
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantQualification {
    user_id: i64,
    resource_id: i64,
    expires_at: String,
}

#[derive(Debug, Serialize, Queryable)]
pub struct Qualification {
    id: i64,
    user_id: i64,
    resource_id: i64,
    granted_by: i64,
    #[serde(with = "utc_naive")]
    expires_at: chrono::NaiveDateTime,
    #[serde(with = "utc_naive_opt")]
    revoked_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "utc_naive")]
    created_at: chrono::NaiveDateTime,
}

mod utc_naive {
    pub fn serialize<S: serde::Serializer>(
        t: &chrono::NaiveDateTime,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&t.and_utc(), s)
    }
}

mod utc_naive_opt {
    pub fn serialize<S: serde::Serializer>(
        t: &Option<chrono::NaiveDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&t.map(|t| t.and_utc()), s)
    }
}

/// Loads a resource the caller runs (operator of it, its institution's manager, or admin).
fn staff_resource(
    conn: &mut crate::db::DbConnection,
    user: &Actor,
    id: i64,
) -> Result<(), ServiceError> {
    let view = resources::find(conn, ResourceId(id))?
        .ok_or_else(|| ServiceError::invalid_field("resource_id", "no such resource"))?;
    if crate::booking::is_staff(conn, user, &view)? {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only the resource's operators and managers grant qualifications",
        ))
    }
}

pub async fn grant_qualification(
    state: web::Data<AppState>,
    user: Actor,
    body: Json<GrantQualification>,
) -> Result<HttpResponse, ServiceError> {
    let b = body.into_inner();
    let expires = parse_instant("expires_at", &b.expires_at)?;
    let now = crate::db::now();
    if expires <= now {
        return Err(ServiceError::invalid_field(
            "expires_at",
            "must be in the future",
        ));
    }
    let row: Qualification = write(&state, move |conn| {
        staff_resource(conn, &user, b.resource_id)?;
        if crate::db::users::find(conn, crate::domain::ids::UserId(b.user_id))?.is_none() {
            return Err(ServiceError::invalid_field("user_id", "no such user"));
        }
        Ok(diesel::insert_into(q::table)
            .values((
                q::user_id.eq(b.user_id),
                q::resource_id.eq(b.resource_id),
                q::granted_by.eq(user.id.0),
                q::expires_at.eq(expires),
                q::created_at.eq(now),
            ))
            .returning(q::all_columns)
            .get_result(conn)?)
    })
    .await?;
    Ok(created(row))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationQuery {
    resource_id: Option<i64>,
    user_id: Option<i64>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Users see their own qualifications; staff those of a resource they run (`resource_id`).
pub async fn list_qualifications(
    state: web::Data<AppState>,
    user: Actor,
    query: web::Query<QualificationQuery>,
) -> Result<HttpResponse, ServiceError> {
    let qy = query.into_inner();
    let page = Page::parse(qy.limit, qy.cursor.as_deref())?;
    let (after, fetch) = (page.after_id()?, page.fetch());
    let rows: Vec<Qualification> = read(&state, move |conn| {
        let mut query = q::table.order(q::id).into_boxed();
        match qy.resource_id {
            Some(r) => {
                staff_resource(conn, &user, r)?;
                query = query.filter(q::resource_id.eq(r));
                if let Some(u) = qy.user_id {
                    query = query.filter(q::user_id.eq(u));
                }
            }
            None => query = query.filter(q::user_id.eq(user.id.0)),
        }
        if let Some(a) = after {
            query = query.filter(q::id.gt(a));
        }
        Ok(query.limit(fetch).load(conn)?)
    })
    .await?;
    Ok(ok(page.finish(rows, |r| r.id.to_string(), |r| r)))
}

pub async fn revoke_qualification(
    state: web::Data<AppState>,
    user: Actor,
    path: web::Path<i64>,
) -> Result<HttpResponse, ServiceError> {
    let id = path.into_inner();
    let now = crate::db::now();
    let row: Qualification = write(&state, move |conn| {
        let found: Qualification = q::table
            .find(id)
            .first(conn)
            .optional()?
            .ok_or_else(|| ServiceError::not_found("qualification"))?;
        staff_resource(conn, &user, found.resource_id)
            .map_err(|_| ServiceError::not_found("qualification"))?;
        Ok(diesel::update(q::table.find(id))
            .set(q::revoked_at.eq(now))
            .returning(q::all_columns)
            .get_result(conn)?)
    })
    .await?;
    Ok(ok(row))
}
