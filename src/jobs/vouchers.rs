//! Expires what is left on vouchers past their expiry, in bounded batches. Held money stays held
//! for its bookings and expires when released.

use crate::booking::payment;
use crate::db::Db;
use crate::db::vouchers as store;
use crate::domain::availability::Instant;
use crate::http::error::ApiError;
use crate::vouchers::shanghai_year;

/// How many vouchers one run expires at most.
pub const BATCH: i64 = 200;

/// Expires the unused balance of vouchers past their expiry; returns how many it expired. Each
/// voucher in its own transaction under the enterprise's voucher lock, so a booking using it
/// either sees the expiry or finishes first.
pub fn run(db: &Db, now: Instant) -> Result<usize, ApiError> {
    let at = now.naive_utc();
    let due =
        db.read_blocking(|conn| store::due_for_expiry(conn, at, BATCH).map_err(ApiError::from))?;
    let mut done = 0;
    for voucher in due {
        let expired = db.write_blocking(|conn| -> Result<bool, ApiError> {
            payment::lock_vouchers(conn, voucher)?;
            let rows = store::ledger_rows(conn, voucher)?;
            let mut ledger = store::ledger(&rows);
            // Another server may have expired it since the batch was read.
            if ledger.expired() {
                return Ok(false);
            }
            let entry = ledger.expire().map_err(ApiError::internal)?.clone();
            let line = store::Line {
                voucher,
                entry: &entry,
                reverses_id: None,
                actor: None,
                reason: Some("the voucher expired"),
                year: shanghai_year(at),
                at,
            };
            store::append(conn, &line)?;
            Ok(true)
        })?;
        done += usize::from(expired);
    }
    Ok(done)
}
