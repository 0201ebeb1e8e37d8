//! The voucher side of a booking or allocation: holds at approval, releases when it ends early, and
//! captures at completion, each a ledger line written in the transaction of the change.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::bookings::BookingRow;
use crate::db::vouchers::{self as store, Line};
use crate::domain::ids::{BookingId, ProgramId, UserId, VoucherId};
use crate::domain::ledger::{Claim, Entry};
use crate::domain::money::Fen;
use crate::domain::types::Movement;
use crate::error::{ErrorCode, ServiceError};
use crate::vouchers::shanghai_year;

/// Locks every voucher the enterprise holds under the voucher's programme, in id order: the annual
/// cap spans them all. On SQLite the write transaction already holds the only lock.
pub fn lock_vouchers(conn: &mut DbConnection, voucher: i64) -> Result<(), ServiceError> {
    // An unknown voucher locks nothing; the quote then refuses it.
    if let Some(v) = store::find_voucher(conn, VoucherId(voucher))? {
        store::lock_of_enterprise(conn, v.program_id, v.enterprise_id)?;
    }
    Ok(())
}

fn line<'a>(
    voucher: i64,
    entry: &'a Entry,
    actor: Option<UserId>,
    reason: Option<&'a str>,
    at: NaiveDateTime,
) -> Line<'a> {
    Line {
        voucher,
        entry,
        reverses_id: None,
        actor: actor.map(|a| a.0),
        reason,
        year: shanghai_year(at),
        at,
    }
}

/// Holds `amount` of `voucher` for a booking or allocation. The caller has locked the vouchers and
/// checked the quote; the ledger checks balance, expiry and one hold per claim again.
pub fn hold(
    conn: &mut DbConnection,
    voucher: i64,
    claim: Claim,
    amount: Fen,
    actor: UserId,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let rows = store::ledger_rows(conn, voucher)?;
    let mut ledger = store::ledger(&rows);
    let entry = ledger
        .hold(claim, amount)
        .map_err(|e| ServiceError::new(ErrorCode::QuoteChanged, e.to_string()))?
        .clone();
    let why = match claim {
        Claim::Booking(_) => "booked",
        Claim::Allocation(_) => "allocation approved",
        Claim::ServiceOrder(_) => "order accepted",
    };
    let row = append(conn, &line(voucher, &entry, Some(actor), Some(why), at))?;
    receipt(conn, &row)
}

/// Gives back whatever of a booking's hold is still open; does nothing for bookings without one.
pub fn release(
    conn: &mut DbConnection,
    booking: &BookingRow,
    actor: Option<UserId>,
    reason: &str,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    release_booking(conn, booking, (actor, reason), at, true)
}

/// [`release`] without a receipt, for a change told in a message of its own (a series').
pub fn release_untold(
    conn: &mut DbConnection,
    booking: &BookingRow,
    actor: Option<UserId>,
    reason: &str,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    release_booking(conn, booking, (actor, reason), at, false)
}

fn release_booking(
    conn: &mut DbConnection,
    booking: &BookingRow,
    why: (Option<UserId>, &str),
    at: NaiveDateTime,
    tell: bool,
) -> Result<(), ServiceError> {
    match booking.voucher_id {
        Some(voucher) => release_open(conn, voucher, Claim::Booking(booking.id), why, at, tell),
        None => Ok(()),
    }
}

/// Gives back whatever of a claim's hold on `voucher` is still open.
pub fn release_claim(
    conn: &mut DbConnection,
    voucher: i64,
    claim: Claim,
    why: (Option<UserId>, &str),
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    release_open(conn, voucher, claim, why, at, true)
}

fn release_open(
    conn: &mut DbConnection,
    voucher: i64,
    claim: Claim,
    (actor, reason): (Option<UserId>, &str),
    at: NaiveDateTime,
    tell: bool,
) -> Result<(), ServiceError> {
    lock_vouchers(conn, voucher)?;
    let rows = store::ledger_rows(conn, voucher)?;
    let mut ledger = store::ledger(&rows);
    let Some((_, open)) = ledger.hold_of(claim).filter(|(_, open)| *open > 0) else {
        return Ok(());
    };
    let entry = ledger
        .release(claim, open)
        .map_err(ServiceError::internal)?
        .clone();
    let row = append(conn, &line(voucher, &entry, actor, Some(reason), at))?;
    if tell {
        receipt(conn, &row)?;
    }
    expire_released(conn, &mut ledger, voucher, at)
}

/// Money released on a voucher that has already expired expires with it.
fn expire_released(
    conn: &mut DbConnection,
    ledger: &mut crate::domain::ledger::Ledger,
    voucher: i64,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    if !ledger.expired() {
        return Ok(());
    }
    if let Ok(entry) = ledger.expire() {
        let entry = entry.clone();
        let reason = Some("released after the voucher expired");
        append(conn, &line(voucher, &entry, None, reason, at))?;
    }
    Ok(())
}

/// The charge for a completed booking on its recorded use, at the rate it was booked at. The
/// booked fee fit when the booking was made; a use decades longer than any booking would not,
/// and is charged the most that can be recorded.
pub fn final_gross(booking: &BookingRow) -> Fen {
    let used = match (booking.check_in_at, booking.check_out_at) {
        // To the nearest minute: a check-out at 10:59:59.6 for 10:00 is an hour.
        (Some(i), Some(o)) => ((o - i).num_milliseconds().max(0) + 30_000) / 60_000,
        _ => (booking.end_at - booking.start_at).num_minutes(),
    };
    booking
        .tariff()
        .fee(booking.quantity, used)
        .unwrap_or(Fen::MAX)
}

/// At completion: captures the voucher's share of the charge for the actual use (at the
/// programme's ratio, never more than was held) and releases the rest of the hold.
pub fn capture(
    conn: &mut DbConnection,
    booking: &BookingRow,
    actor: Option<UserId>,
    at: NaiveDateTime,
) -> Result<Fen, ServiceError> {
    let gross = final_gross(booking);
    let captured = capture_share(conn, booking, gross, actor, at)?;
    crate::db::bookings::set_final_charge(conn, booking, gross, captured)?;
    crate::db::reports::totals::booking_used(conn, booking.id)?;
    Ok(gross)
}

/// Captures the voucher's share of `gross` and releases the rest of the hold; returns the capture.
fn capture_share(
    conn: &mut DbConnection,
    booking: &BookingRow,
    gross: Fen,
    actor: Option<UserId>,
    at: NaiveDateTime,
) -> Result<Fen, ServiceError> {
    match booking.voucher_id {
        Some(voucher) => capture_claim(
            conn,
            (voucher, Claim::Booking(booking.id)),
            gross,
            actor,
            at,
        ),
        None => Ok(0),
    }
}

/// Captures the voucher's share of `gross` (at the programme's ratio, never more than the open
/// hold) for a claim and releases the rest of its hold; returns the capture.
pub fn capture_claim(
    conn: &mut DbConnection,
    (voucher, claim): (i64, Claim),
    gross: Fen,
    actor: Option<UserId>,
    at: NaiveDateTime,
) -> Result<Fen, ServiceError> {
    let (program, mut ledger) = locked_ledger(conn, voucher)?;
    let Some((_, open)) = ledger.hold_of(claim) else {
        return Ok(0);
    };
    let take = by_ratio(gross, program.ratio_bps).min(open);
    if take > 0 {
        let e = ledger
            .capture(claim, take)
            .map_err(ServiceError::internal)?
            .clone();
        let row = append(conn, &line(voucher, &e, actor, Some("used"), at))?;
        receipt(conn, &row)?;
    }
    if open > take {
        let e = ledger
            .release(claim, open - take)
            .map_err(ServiceError::internal)?
            .clone();
        let reason = match claim {
            Claim::ServiceOrder(_) => "fewer samples measured than ordered",
            _ => "used less than booked",
        };
        let row = append(conn, &line(voucher, &e, actor, Some(reason), at))?;
        receipt(conn, &row)?;
        expire_released(conn, &mut ledger, voucher, at)?;
    }
    Ok(take)
}

/// Locks a voucher (and its enterprise's others of the programme) and reads its programme and
/// ledger, for a capture.
fn locked_ledger(
    conn: &mut DbConnection,
    voucher: i64,
) -> Result<(store::ProgramRow, crate::domain::ledger::Ledger), ServiceError> {
    lock_vouchers(conn, voucher)?;
    let v = store::find_voucher(conn, VoucherId(voucher))?
        .ok_or_else(|| ServiceError::not_found("voucher"))?;
    let program = store::find_program(conn, ProgramId(v.program_id))?
        .ok_or_else(|| ServiceError::internal("voucher without programme"))?;
    let rows = store::ledger_rows(conn, voucher)?;
    Ok((program, store::ledger(&rows)))
}

/// A programme's share of a fee: its ratio, rounded down to the fen.
fn by_ratio(fee: Fen, ratio_bps: i64) -> Fen {
    Fen::try_from(i128::from(fee) * i128::from(ratio_bps) / 10_000).unwrap_or(Fen::MAX)
}

/// Brings an allocation's captures up to the voucher's share of `used_fee` (its use so far, at the
/// programme's ratio), never beyond its hold; returns what this call captured. Computed on the
/// running total so that rounding never drifts however many imports there are.
pub fn capture_allocation(
    conn: &mut DbConnection,
    voucher: i64,
    allocation: i64,
    used_fee: Fen,
    (actor, at): (Option<UserId>, NaiveDateTime),
) -> Result<Fen, ServiceError> {
    let (program, mut ledger) = locked_ledger(conn, voucher)?;
    let claim = Claim::Allocation(allocation);
    let Some((_, open)) = ledger.hold_of(claim) else {
        return Ok(0);
    };
    let share = by_ratio(used_fee, program.ratio_bps);
    let take = (share - ledger.captured_from(claim)).clamp(0, open);
    if take > 0 {
        let e = ledger
            .capture(claim, take)
            .map_err(ServiceError::internal)?
            .clone();
        append(conn, &line(voucher, &e, actor, Some("computing used"), at))?;
    }
    Ok(take)
}

/// Appends a ledger line and queues its webhook event, in this transaction.
fn append(
    conn: &mut DbConnection,
    line: &store::Line<'_>,
) -> Result<store::LedgerRow, ServiceError> {
    let row = store::append(conn, line)?;
    crate::webhooks::money::ledger_line(conn, &row)?;
    Ok(row)
}

/// Tells the booker about a movement on their booking's voucher, in this transaction.
fn receipt(conn: &mut DbConnection, row: &store::LedgerRow) -> Result<(), ServiceError> {
    let Some(booking) = row.booking_id else {
        return Ok(());
    };
    let b = crate::db::bookings::find(conn, BookingId(booking))?
        .ok_or_else(|| ServiceError::internal("ledger line for a missing booking"))?;
    if row.movement == Movement::Hold && b.series_id.is_some() {
        // A series' holds are told with the series, in one message.
        return Ok(());
    }
    let v = store::find_voucher(conn, VoucherId(row.voucher_id))?
        .ok_or_else(|| ServiceError::not_found("voucher"))?;
    let program = store::find_program(conn, ProgramId(v.program_id))?
        .map(|p| p.code)
        .unwrap_or_default();
    let at = row.at;
    crate::notify::voucher_movement(conn, row.id, row.movement, row.amount_fen, &program, &b, at)
}
