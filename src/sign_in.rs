//! Signing in with a password, held to the failure limits of `domain::throttle`. The password
//! is checked outside any write transaction (it is slow on purpose); only the outcome is written.

use chrono::NaiveDateTime;

use crate::db::users::UserRow;
use crate::db::{DbConnection, sign_in};
use crate::domain::throttle::{self, Limit};
use crate::error::{ErrorCode, ServiceError};

/// Member of a 429 problem that says how many seconds to wait; also sent as `Retry-After`.
pub const RETRY_AFTER: &str = "retry_after_seconds";

/// Refuses (429) while any of `limits` is used up. The answer is the same whether or not the
/// account exists.
pub fn admit(
    conn: &mut DbConnection,
    limits: &[Limit],
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
    let counts = sign_in::counts(conn, &keys)?;
    match throttle::refused_until(limits, &counts, now) {
        None => Ok(()),
        Some(until) => {
            let wait = (until - now).num_seconds().max(1);
            Err(ServiceError::new(
                ErrorCode::TooManyAttempts,
                format!("too many failed sign-ins; try again in {wait} seconds"),
            )
            .with_extra(RETRY_AFTER, wait))
        }
    }
}

/// Counts a failed attempt under every limit, or clears the owner's own counter after success.
pub fn record(
    conn: &mut DbConnection,
    limits: &[Limit],
    user: Option<&UserRow>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    if user.is_some() {
        sign_in::clear(conn, &throttle::cleared_on_success(limits))?;
        return Ok(());
    }
    for limit in limits {
        sign_in::record_failure(conn, &limit.key, now, now - throttle::WINDOW)?;
    }
    Ok(())
}
