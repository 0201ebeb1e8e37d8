//! A feed's bookings as one calendar. Each booking keeps the UID and SEQUENCE it has in mail, so
//! an entry imported from a confirmation and the same booking in a feed agree.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{Duration, NaiveDateTime};

use super::Kind;
use crate::booking::ics::{place, status, uid};
use crate::db::bookings::{self, BookingFilter, BookingRow};
use crate::db::resources::{self, ResourceView};
use crate::db::{DbConnection, organizations};
use crate::domain::actor::{Actor, Reach};
use crate::domain::ics::{self, Event, Method};
use crate::domain::ids::{OrganizationId, ResourceId};
use crate::error::ServiceError;

/// How far back a feed reaches: recent cancellations still reach calendars that show them.
const PAST_DAYS: i64 = 30;
/// How far ahead it reaches, beyond any resource's booking window.
const AHEAD_DAYS: i64 = 400;
/// The most bookings one feed carries.
pub const MOST: i64 = 2000;

/// What one entry shows of its booking.
struct Shown {
    summary: String,
    location: String,
    description: String,
}

pub fn calendar(
    conn: &mut DbConnection,
    owner: &Actor,
    (kind, resource): (Kind, Option<i64>),
    now: NaiveDateTime,
) -> Result<String, ServiceError> {
    let filter = BookingFilter {
        resource,
        state: None,
        from: Some(now - Duration::days(PAST_DAYS)),
        to: Some(now + Duration::days(AHEAD_DAYS)),
    };
    let reach = match kind {
        Kind::User => Reach::Member {
            user: owner.id,
            org: owner.org,
        },
        Kind::Resource => Reach::All,
        Kind::Institution => owner.reach(),
    };
    let rows = bookings::list(conn, reach, &filter, (None, MOST))?;
    let mut views: HashMap<i64, ResourceView> = HashMap::new();
    let mut orgs: HashMap<i64, String> = HashMap::new();
    let mut shown = Vec::with_capacity(rows.len());
    for b in &rows {
        let view = match views.entry(b.resource_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(
                resources::find(conn, ResourceId(b.resource_id))?
                    .ok_or_else(|| ServiceError::internal("booking without resource"))?,
            ),
        };
        let own = owner.org.is_some_and(|o| o.0 == b.organization_id) || owner.id.0 == b.booker_id;
        shown.push(if kind == Kind::Resource && !own {
            busy(view)
        } else {
            let org = org_name(conn, &mut orgs, b.organization_id)?;
            in_full(b, view, &org)
        });
    }
    let events: Vec<Event<'_>> = rows
        .iter()
        .zip(&shown)
        .map(|(b, s)| Event {
            uid: uid(b.id),
            stamp: b.updated_at.and_utc(),
            start: b.start_at.and_utc(),
            end: b.end_at.and_utc(),
            summary: &s.summary,
            location: &s.location,
            description: &s.description,
            status: status(b.state),
            sequence: b.version,
        })
        .collect();
    let name = name(conn, owner, kind, resource)?;
    Ok(ics::calendar_of(&events, Method::Publish, Some(&name)))
}

/// Another organisation's booking on a resource's feed: when, never whose or what for.
fn busy(view: &ResourceView) -> Shown {
    let (resource, location) = place(view);
    Shown {
        summary: format!("Booked / 已预约: {resource}"),
        location,
        description: String::new(),
    }
}

fn in_full(b: &BookingRow, view: &ResourceView, org: &str) -> Shown {
    let (summary, location) = place(view);
    Shown {
        summary,
        location,
        description: format!(
            "Booking {} ({}), quantity {}, {org}: {}",
            b.id, b.state, b.quantity, b.purpose
        ),
    }
}

fn org_name(
    conn: &mut DbConnection,
    known: &mut HashMap<i64, String>,
    id: i64,
) -> Result<String, ServiceError> {
    if let Some(name) = known.get(&id) {
        return Ok(name.clone());
    }
    let name = organizations::find(conn, OrganizationId(id))?
        .map(|o| o.name_en)
        .unwrap_or_default();
    known.insert(id, name.clone());
    Ok(name)
}

/// What a calendar application calls the feed.
fn name(
    conn: &mut DbConnection,
    owner: &Actor,
    kind: Kind,
    resource: Option<i64>,
) -> Result<String, ServiceError> {
    Ok(match (kind, resource) {
        (Kind::Resource, Some(id)) => match resources::find(conn, ResourceId(id))? {
            Some(v) => place(&v).0,
            None => String::new(),
        },
        (Kind::Institution, _) => match owner.org {
            Some(org) => organizations::find(conn, org)?
                .map(|o| format!("{} / {}", o.name_en, o.name_zh))
                .unwrap_or_default(),
            None => String::new(),
        },
        _ => "My bookings / 我的预约".to_owned(),
    })
}
