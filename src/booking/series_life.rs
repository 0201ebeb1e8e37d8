//! A weekly series after it is booked: read with its occurrences, and the rest of it cancelled in
//! one step, each occurrence under the same rules as a cancellation of its own, told in one message.

use super::calendar::naive;
use super::create::Failure;
use super::decide::{Told, cancel_as};
use super::{Visible, visible};
use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::db::{DbConnection, series};
use crate::domain::actor::Actor;
use crate::domain::availability::{Instant, Span};
use crate::domain::booking::cancellable;
use crate::domain::ids::BookingId;
use crate::error::{ErrorCode, ServiceError};
use crate::notify::series::{Line, SeriesNews, told};

/// The series' occurrences and their resource, for its booker and the resource's staff.
pub fn read(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
) -> Result<(ResourceView, Vec<BookingRow>), ServiceError> {
    let all = series::occurrences(conn, id)?;
    let first = all
        .first()
        .ok_or_else(|| ServiceError::not_found("series"))?;
    let Visible { resource, .. } =
        visible(conn, actor, BookingId(first.id)).map_err(|_| ServiceError::not_found("series"))?;
    Ok((resource, all))
}

/// What became of one occurrence: cancelled now, or kept and why.
pub struct Cancelled {
    pub booking: BookingRow,
    pub kept: Option<String>,
}

/// Cancels every occurrence still to come that may be cancelled; the others are kept with the
/// reason. One message tells the booker of all of it.
pub fn cancel_rest(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    reason: &str,
    now: Instant,
) -> Result<(ResourceView, Vec<Cancelled>), ServiceError> {
    let (view, all) = read(conn, actor, id)?;
    let mut out = Vec::new();
    for b in all {
        if b.start_at.and_utc() <= now || !cancellable(b.state) {
            continue;
        }
        let result = cancel_as(
            conn,
            actor,
            (BookingId(b.id), Told::WithSeries),
            reason,
            now,
        );
        out.push(match result {
            Ok(row) => Cancelled {
                booking: row,
                kept: None,
            },
            Err(Failure::Service(e)) if e.code == ErrorCode::InvalidState => Cancelled {
                booking: b,
                kept: Some(e.detail),
            },
            Err(other) => return Err(other.into_error()),
        });
    }
    let lines: Vec<Line<'_>> = out
        .iter()
        .map(|c| Line {
            span: Span::new(c.booking.start_at.and_utc(), c.booking.end_at.and_utc()),
            outcome: match &c.kept {
                None => Ok(&c.booking),
                Some(why) => Err(why.as_str()),
            },
        })
        .collect();
    if let Some(booker) = out.first().map(|c| c.booking.booker_id) {
        let news = (id, SeriesNews::Cancelled);
        told(conn, news, (booker, &view), &lines, naive(now))?;
    }
    Ok((view, out))
}
