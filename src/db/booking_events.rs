//! A booking's history: one row per step, with the states before and after.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::booking_events;
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub booking_id: i64,
    pub actor_id: Option<i64>,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub reason: Option<String>,
    pub at: NaiveDateTime,
}

pub struct Event<'a> {
    pub booking_id: i64,
    pub actor: Option<UserId>,
    pub event: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub reason: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// Records one step of a booking's history; returns its id.
pub fn add_event(conn: &mut DbConnection, e: &Event<'_>) -> QueryResult<i64> {
    crate::native!(conn, c => diesel::insert_into(booking_events::table)
        .values((
            booking_events::booking_id.eq(e.booking_id),
            booking_events::actor_id.eq(e.actor.map(|a| a.0)),
            booking_events::event.eq(e.event),
            booking_events::from_state.eq(e.from_state),
            booking_events::to_state.eq(e.to_state),
            booking_events::reason.eq(e.reason),
            booking_events::at.eq(e.at),
        ))
        .returning(booking_events::id)
        .get_result(c))
}

pub fn events(conn: &mut DbConnection, booking: i64) -> QueryResult<Vec<EventRow>> {
    booking_events::table
        .filter(booking_events::booking_id.eq(booking))
        .order(booking_events::id)
        .load(conn)
}
