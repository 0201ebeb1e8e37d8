//! A session in progress for the demo: Acme's researcher has been at Fudan's 800 MHz NMR since two
//! hours ago, for a three-hour booking paid partly with Acme's Jiangsu voucher. Seeded when a demo
//! server first loads the region (not in tests), so the demo shows check-out, capture and the
//! settlement line without waiting for a booking's time to come.

use chrono::{Duration, DurationRound};

use crate::booking::calendar::{self, naive};
use crate::booking::{Step, log, payment};
use crate::db::bookings::{self, BookingRow, NewBooking};
use crate::db::{Db, DbConnection, users, vouchers};
use crate::domain::actor::Reach;
use crate::domain::availability::{Instant, Span};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::money::PurposeKind;
use crate::domain::types::BookingState;
use crate::error::ServiceError;

/// Seeds the session; returns its booking id.
pub fn seed(db: &Db, now: Instant) -> Result<i64, ServiceError> {
    db.write_blocking(|conn| seed_in(conn, now))
}

fn missing(what: &str) -> ServiceError {
    ServiceError::internal(format!("demo session: {what} missing"))
}

/// The demo booker, their enterprise and its voucher.
fn participants(conn: &mut DbConnection) -> Result<(UserId, OrganizationId, i64), ServiceError> {
    let booker =
        users::find_by_email(conn, "booker@acme.demo.test")?.ok_or_else(|| missing("booker"))?;
    let acme = OrganizationId(booker.organization_id.ok_or_else(|| missing("Acme"))?);
    let reach = Reach::Member {
        user: UserId(booker.id),
        org: Some(acme),
    };
    let voucher = vouchers::list_vouchers(conn, reach, None, 1)?
        .pop()
        .ok_or_else(|| missing("voucher"))?
        .id;
    Ok((UserId(booker.id), acme, voucher))
}

fn seed_in(conn: &mut DbConnection, now: Instant) -> Result<i64, ServiceError> {
    let (booker, acme, voucher) = participants(conn)?;
    let nmr = crate::db::resources::find_by_name_en(conn, "800 MHz NMR spectrometer")?
        .ok_or_else(|| missing("NMR"))?;
    bookings::lock_resource(conn, nmr)?;
    let view = crate::db::resources::find(conn, nmr)?.ok_or_else(|| missing("NMR"))?;
    let start = now
        .duration_trunc(Duration::minutes(30))
        .map_err(ServiceError::internal)?
        - Duration::hours(2);
    let span = Span::new(start, start + Duration::hours(3));
    let loaded = calendar::load(conn, view, span, now)?;
    let terms = (1, 180);
    let quote = payment::quote(
        conn,
        acme,
        &loaded.view,
        terms,
        Some(voucher),
        PurposeKind::Research,
        now,
    )?;
    let block = loaded.buffered(span);
    let new = NewBooking {
        resource_id: nmr.0,
        booker_id: booker.0,
        organization_id: acme.0,
        state: BookingState::Confirmed,
        blocking: true,
        exclusive: true,
        start_at: naive(span.start),
        end_at: naive(span.end),
        block_start: naive(block.start),
        block_end: naive(block.end),
        quantity: 1,
        purpose: "1H and 13C NMR of a new catalyst (demo session in progress)".into(),
        wants_waitlist: false,
        series_id: None,
        pending_deadline: None,
        operator_assisted: false,
        version: 1,
        created_at: naive(start - Duration::days(1)),
        updated_at: naive(start),
        customer_category: quote.price.customer_category.as_str().into(),
        rate_fen: quote.price.rate_fen,
        gross_fen: quote.price.gross_fen,
        purpose_kind: PurposeKind::Research.as_str().into(),
        voucher_id: Some(voucher),
        voucher_share_fen: quote.voucher_share(),
        shift_min: None,
    };
    let minutes = (block.end - block.start).num_minutes() as i32;
    bookings::note_block_length(conn, nmr, minutes)?;
    let row = bookings::insert(conn, &new)?;
    begin_session(conn, &row, booker, naive(start))?;
    Ok(row.id)
}

/// The session's history as it would have happened: requested and held a day before, checked
/// in at its start.
fn begin_session(
    conn: &mut DbConnection,
    row: &BookingRow,
    booker: UserId,
    start: chrono::NaiveDateTime,
) -> Result<(), ServiceError> {
    let requested = Step {
        event: "requested",
        from: None,
        to: BookingState::Confirmed,
    };
    log(conn, row.created_at, row.id, Some(booker), requested, None)?;
    let claim = crate::domain::ledger::Claim::Booking(row.id);
    let voucher = row.voucher_id.ok_or_else(|| missing("voucher"))?;
    payment::hold(
        conn,
        voucher,
        claim,
        row.voucher_share_fen,
        booker,
        row.created_at,
    )?;
    bookings::record_check_in(conn, row.id, start)?;
    let arrived = Step {
        event: "checked_in",
        from: Some(BookingState::Confirmed),
        to: BookingState::Confirmed,
    };
    log(conn, start, row.id, None, arrived, Some("demo session"))
}
