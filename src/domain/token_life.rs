//! How long a new API token lives. A credential cannot make one that outlives itself; with the
//! account's password it can make one for up to a year.

use chrono::{Duration, NaiveDateTime};

use super::Issue;

/// The lifetime of a token made with the password and no `expires_in_days`.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest lifetime any token gets.
pub const MAX_DAYS: i64 = 365;

/// When a token asked for at `now` for `days` ends. `maker_ends` is when the credential making
/// it ends; `proven` is whether the request gave the account's password.
pub fn token_end(
    now: NaiveDateTime,
    days: Option<i64>,
    maker_ends: NaiveDateTime,
    proven: bool,
) -> Result<NaiveDateTime, Issue> {
    if days.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
        return Err(Issue::field(
            "expires_in_days",
            format!("must be between 1 and {MAX_DAYS}"),
        ));
    }
    let limit = if proven {
        now + Duration::days(MAX_DAYS)
    } else {
        maker_ends
    };
    let asked = now + Duration::days(days.unwrap_or(DEFAULT_DAYS));
    match days {
        Some(_) if asked > limit => Err(Issue::field(
            "expires_in_days",
            format!(
                "a token cannot outlive the credential that makes it (it ends {} UTC); \
                 send password as well to make one for up to {MAX_DAYS} days",
                maker_ends.format("%Y-%m-%d %H:%M")
            ),
        )),
        _ => Ok(asked.min(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn without_the_password_a_token_ends_with_its_maker() {
        let maker = now() + Duration::hours(1);
        assert_eq!(token_end(now(), None, maker, false), Ok(maker));
        assert!(token_end(now(), Some(1), maker, false).is_err());
        let long_maker = now() + Duration::days(10);
        assert_eq!(
            token_end(now(), Some(2), long_maker, false),
            Ok(now() + Duration::days(2))
        );
    }

    #[test]
    fn with_the_password_a_token_lives_up_to_a_year() {
        let maker = now() + Duration::hours(1);
        let default = now() + Duration::days(DEFAULT_DAYS);
        assert_eq!(token_end(now(), None, maker, true), Ok(default));
        let year = now() + Duration::days(MAX_DAYS);
        assert_eq!(token_end(now(), Some(MAX_DAYS), maker, true), Ok(year));
        assert!(token_end(now(), Some(MAX_DAYS + 1), maker, true).is_err());
        assert!(token_end(now(), Some(0), maker, true).is_err());
    }
}
