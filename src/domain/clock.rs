//! The time as the service sees it: the system clock in production, a clock a test sets and moves
//! in tests, so that a test can stand just before a deadline or at a DST change without sleeping.
//! Times are truncated to microseconds, the precision both databases keep.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};

/// A shared clock; clones read the same time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None` follows the system clock; `Some` is a time a test set.
    fixed: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing at `at` until it is set again.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        let clock = Clock::default();
        clock.set(at);
        clock
    }

    /// Stands the clock at `at` (for tests).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.fixed.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }

    /// Now, in UTC, to the microsecond.
    pub fn now(&self) -> DateTime<Utc> {
        let fixed = *self.fixed.lock().unwrap_or_else(|p| p.into_inner());
        let t = fixed.unwrap_or_else(Utc::now);
        t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
            .unwrap_or(t)
    }

    /// Now as stored: UTC without an offset, to the microsecond.
    pub fn naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_and_moves_when_set() {
        let at: DateTime<Utc> = "2027-10-31T00:30:00.123456789Z".parse().unwrap();
        let clock = Clock::fixed(at);
        let same = clock.clone();
        assert_eq!(same.now().to_rfc3339(), "2027-10-31T00:30:00.123456+00:00");
        clock.set(at + chrono::Duration::hours(1));
        assert_eq!(
            same.naive(),
            (at + chrono::Duration::hours(1)).naive_utc() - chrono::Duration::nanoseconds(789)
        );
        assert!(Clock::system().now() > at - chrono::Duration::days(3650));
    }
}
