//! Dropping what is no longer needed: idempotency keys once a retry of their request can no
//! longer be expected, sign-in counters whose window has ended, and console sessions that
//! have ended.

use chrono::Duration;

use crate::db::{Db, console_sessions, idempotency, sign_in};
use crate::domain::availability::Instant;
use crate::domain::throttle;
use crate::error::ServiceError;

/// How long an `Idempotency-Key` replays its first answer.
pub const KEY_LIFETIME: Duration = Duration::hours(24);

/// Drops old keys and spent counters; how many rows went.
pub fn run(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    let now = now.naive_utc();
    db.write_blocking(|conn| {
        let keys = idempotency::prune(conn, now - KEY_LIFETIME)?;
        let counters = sign_in::prune(conn, now - throttle::WINDOW)?;
        let sessions = console_sessions::prune(conn, now)?;
        Ok(keys + counters + sessions)
    })
}
