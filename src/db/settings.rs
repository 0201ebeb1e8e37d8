//! Per-resource settings, one small table each (a row only where a manager set one).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{resource_ratings as rr, resource_reminders as rm};
use crate::domain::ids::ResourceId;
use crate::domain::settings::Setting;

/// The value a resource sets, if it sets one.
pub fn get(conn: &mut DbConnection, id: ResourceId, setting: Setting) -> QueryResult<Option<i32>> {
    match setting {
        Setting::RatedHours => rr::table
            .find(id.0)
            .select(rr::rated_hours_per_year)
            .first(conn)
            .optional(),
        Setting::ReminderLead => rm::table
            .find(id.0)
            .select(rm::minutes_before)
            .first(conn)
            .optional(),
    }
}

/// Sets a resource's value, replacing any earlier one.
pub fn set(
    conn: &mut DbConnection,
    id: ResourceId,
    setting: Setting,
    value: i32,
) -> QueryResult<()> {
    // Delete then insert: MultiConnection has no upsert, and the transaction makes it one step.
    match setting {
        Setting::RatedHours => {
            diesel::delete(rr::table.find(id.0)).execute(conn)?;
            diesel::insert_into(rr::table)
                .values((rr::resource_id.eq(id.0), rr::rated_hours_per_year.eq(value)))
                .execute(conn)?;
        }
        Setting::ReminderLead => {
            diesel::delete(rm::table.find(id.0)).execute(conn)?;
            diesel::insert_into(rm::table)
                .values((rm::resource_id.eq(id.0), rm::minutes_before.eq(value)))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Every value set, by resource.
pub fn all(conn: &mut DbConnection, setting: Setting) -> QueryResult<HashMap<i64, i32>> {
    let rows: Vec<(i64, i32)> = match setting {
        Setting::RatedHours => rr::table
            .select((rr::resource_id, rr::rated_hours_per_year))
            .load(conn)?,
        Setting::ReminderLead => rm::table
            .select((rm::resource_id, rm::minutes_before))
            .load(conn)?,
    };
    Ok(rows.into_iter().collect())
}

/// The largest value any resource sets.
pub fn largest(conn: &mut DbConnection, setting: Setting) -> QueryResult<Option<i32>> {
    match setting {
        Setting::RatedHours => rr::table
            .select(diesel::dsl::max(rr::rated_hours_per_year))
            .first(conn),
        Setting::ReminderLead => rm::table
            .select(diesel::dsl::max(rm::minutes_before))
            .first(conn),
    }
}
