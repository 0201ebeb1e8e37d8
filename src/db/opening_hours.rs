//! Opening hours of a resource: weekly rules and dated exceptions, in the resource's own zone.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::{opening_exceptions, opening_rules};
use crate::domain::ids::ResourceId;
use crate::domain::opening::{DatedException, OpeningHours, WeeklyRule};

/// id, resource, local date, start and end minutes (none when closed), reason.
type ExceptionRow = (
    i64,
    i64,
    chrono::NaiveDate,
    Option<i32>,
    Option<i32>,
    String,
);

pub fn opening_hours(conn: &mut DbConnection, id: ResourceId) -> QueryResult<OpeningHours> {
    let weekly: Vec<(i64, i64, i32, i32, i32)> = crate::native!(conn, c => opening_rules::table
        .filter(opening_rules::resource_id.eq(id.0))
        .order((opening_rules::weekday, opening_rules::start_min))
        .load(c))?;
    let exceptions: Vec<ExceptionRow> = crate::native!(conn, c => opening_exceptions::table
        .filter(opening_exceptions::resource_id.eq(id.0))
        .order((opening_exceptions::day, opening_exceptions::start_min))
        .load(c))?;
    Ok(OpeningHours {
        weekly: weekly
            .into_iter()
            .map(|(_, _, weekday, start, end)| WeeklyRule {
                weekday: weekday as u8,
                start_min: start as u16,
                end_min: end as u16,
            })
            .collect(),
        exceptions: exceptions
            .into_iter()
            .map(|(_, _, day, start, end, reason)| DatedException {
                day,
                interval: start.zip(end).map(|(s, e)| (s as u16, e as u16)),
                reason,
            })
            .collect(),
    })
}

pub fn replace_opening_hours(
    conn: &mut DbConnection,
    id: ResourceId,
    hours: &OpeningHours,
) -> QueryResult<()> {
    diesel::delete(opening_rules::table.filter(opening_rules::resource_id.eq(id.0)))
        .execute(conn)?;
    diesel::delete(opening_exceptions::table.filter(opening_exceptions::resource_id.eq(id.0)))
        .execute(conn)?;
    for rule in &hours.weekly {
        diesel::insert_into(opening_rules::table)
            .values((
                opening_rules::resource_id.eq(id.0),
                opening_rules::weekday.eq(i32::from(rule.weekday)),
                opening_rules::start_min.eq(i32::from(rule.start_min)),
                opening_rules::end_min.eq(i32::from(rule.end_min)),
            ))
            .execute(conn)?;
    }
    for ex in &hours.exceptions {
        diesel::insert_into(opening_exceptions::table)
            .values((
                opening_exceptions::resource_id.eq(id.0),
                opening_exceptions::day.eq(ex.day),
                opening_exceptions::start_min.eq(ex.interval.map(|(s, _)| i32::from(s))),
                opening_exceptions::end_min.eq(ex.interval.map(|(_, e)| i32::from(e))),
                opening_exceptions::reason.eq(&ex.reason),
            ))
            .execute(conn)?;
    }
    Ok(())
}
