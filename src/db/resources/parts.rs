//! A resource's rate card and operators (and its numeric specifications, which search uses).

use std::collections::HashMap;

use diesel::prelude::*;

use super::{Joined, ResourceView};
use crate::db::DbConnection;
use crate::db::schema::{resource_operators, resource_rates, resource_specs};
use crate::domain::ids::{ResourceId, UserId};
use crate::domain::resource::{Rates, ResourceFields};
use crate::domain::types::RatePer;

// For one resource the queries filter with `=`, which diesel prepares once and caches; `IN`
// with a varying number of ids is prepared anew each time.

type RateRow = (i64, String, i64, String);

fn rate_rows(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<RateRow>> {
    match ids {
        [one] => crate::native!(conn, c => resource_rates::table
            .filter(resource_rates::resource_id.eq(*one))
            .load(c)),
        _ => resource_rates::table
            .filter(resource_rates::resource_id.eq_any(ids.to_vec()))
            .load(conn),
    }
}

fn operator_rows(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    let order = (resource_operators::resource_id, resource_operators::user_id);
    match ids {
        [one] => crate::native!(conn, c => resource_operators::table
            .filter(resource_operators::resource_id.eq(*one))
            .order(order)
            .load(c)),
        _ => resource_operators::table
            .filter(resource_operators::resource_id.eq_any(ids.to_vec()))
            .order(order)
            .load(conn),
    }
}

/// Adds rates and operators to joined rows: two queries for the whole page, not two per row.
pub(super) fn complete(
    conn: &mut DbConnection,
    rows: Vec<Joined>,
) -> QueryResult<Vec<ResourceView>> {
    let ids: Vec<i64> = rows.iter().map(|(r, _, _)| r.id).collect();
    let mut rates: HashMap<i64, Rates> = HashMap::new();
    for (id, category, fen, per) in rate_rows(conn, &ids)? {
        let entry = rates.entry(id).or_insert(Rates {
            internal: 0,
            academic: 0,
            enterprise: 0,
            per: RatePer::parse(&per).unwrap_or(RatePer::UnitHour),
        });
        match category.as_str() {
            "internal" => entry.internal = fen,
            "academic" => entry.academic = fen,
            _ => entry.enterprise = fen,
        }
    }
    let mut operators: HashMap<i64, Vec<i64>> = HashMap::new();
    for (rid, uid) in operator_rows(conn, &ids)? {
        operators.entry(rid).or_default().push(uid);
    }
    Ok(rows
        .into_iter()
        .map(
            |(row, (institution_en, institution_zh), jurisdiction)| ResourceView {
                rates: rates.remove(&row.id).unwrap_or(Rates {
                    internal: 0,
                    academic: 0,
                    enterprise: 0,
                    per: RatePer::UnitHour,
                }),
                operator_ids: operators.remove(&row.id).unwrap_or_default(),
                row,
                institution_en,
                institution_zh,
                jurisdiction,
            },
        )
        .collect())
}

pub(super) fn delete_children(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::delete(resource_specs::table.filter(resource_specs::resource_id.eq(id)))
        .execute(conn)?;
    diesel::delete(resource_rates::table.filter(resource_rates::resource_id.eq(id)))
        .execute(conn)?;
    diesel::delete(resource_operators::table.filter(resource_operators::resource_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

pub(super) fn write_children(
    conn: &mut DbConnection,
    id: i64,
    fields: &ResourceFields,
) -> QueryResult<()> {
    // One insert per row: batch inserts do not compile on the two-backend connection.
    for (key, value) in fields.numeric_specs() {
        diesel::insert_into(resource_specs::table)
            .values((
                resource_specs::resource_id.eq(id),
                resource_specs::key.eq(key),
                resource_specs::num_value.eq(value),
            ))
            .execute(conn)?;
    }
    let r = fields.rates;
    for (category, fen) in [
        ("internal", r.internal),
        ("academic", r.academic),
        ("enterprise", r.enterprise),
    ] {
        diesel::insert_into(resource_rates::table)
            .values((
                resource_rates::resource_id.eq(id),
                resource_rates::category.eq(category),
                resource_rates::fen_per_unit_hour.eq(fen),
                resource_rates::per.eq(r.per.as_str()),
            ))
            .execute(conn)?;
    }
    let mut operators: Vec<i64> = fields.operator_ids.iter().map(|u| u.0).collect();
    operators.sort_unstable();
    operators.dedup();
    for user in operators {
        diesel::insert_into(resource_operators::table)
            .values((
                resource_operators::resource_id.eq(id),
                resource_operators::user_id.eq(user),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids of the resources `user` is an operator of, as a subquery.
#[diesel::dsl::auto_type]
pub fn operated(user: UserId) -> _ {
    let id: i64 = user.0;
    resource_operators::table
        .filter(resource_operators::user_id.eq(id))
        .select(resource_operators::resource_id)
}

/// Whether `user` is an assigned operator of the resource.
pub fn is_operator(conn: &mut DbConnection, id: ResourceId, user: UserId) -> QueryResult<bool> {
    let found: Option<i64> = resource_operators::table
        .filter(resource_operators::resource_id.eq(id.0))
        .filter(resource_operators::user_id.eq(user.0))
        .select(resource_operators::user_id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Adds an operator to a resource (demo seeding; the API replaces the whole list instead).
pub fn add_operator(conn: &mut DbConnection, id: ResourceId, user: UserId) -> QueryResult<()> {
    diesel::insert_into(resource_operators::table)
        .values((
            resource_operators::resource_id.eq(id.0),
            resource_operators::user_id.eq(user.0),
        ))
        .execute(conn)
        .map(|_| ())
}
