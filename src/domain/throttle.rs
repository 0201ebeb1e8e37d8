//! How many failed sign-ins are allowed before more are refused for a while. Failures are counted
//! in fixed windows under three keys: the account from one address (a guesser is stopped quickly
//! without touching the account's owner elsewhere), the address across accounts (one client
//! spraying many accounts), and the account from anywhere (a guesser with many addresses). Only
//! the last can delay the owner, it needs many failures, and it lifts when its window ends.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};

/// How long a window lasts, and so the longest anyone waits.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failures allowed per window for one account from one address.
pub const PER_ACCOUNT_AND_ADDRESS: i64 = 5;
/// Failures allowed per window for one address, whatever the accounts.
pub const PER_ADDRESS: i64 = 20;
/// Failures allowed per window for one account, from all addresses together.
pub const PER_ACCOUNT: i64 = 50;

/// A counter key and the failures it allows per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub max: i64,
}

/// The counters a sign-in as `email` from `client` is held to. The email is the one typed,
/// normalised, so an unknown account is counted exactly like a known one.
pub fn limits(email: &str, client: Option<IpAddr>) -> Vec<Limit> {
    let email = email.trim().to_lowercase();
    let mut limits = vec![Limit {
        key: format!("account:{email}"),
        max: PER_ACCOUNT,
    }];
    if let Some(ip) = client {
        limits.push(Limit {
            key: format!("pair:{email} {ip}"),
            max: PER_ACCOUNT_AND_ADDRESS,
        });
        limits.push(Limit {
            key: format!("client:{ip}"),
            max: PER_ADDRESS,
        });
    }
    limits
}

/// The key cleared by a successful sign-in: the owner's own address starts afresh, while the
/// account-wide count stays, so one success does not reset a distributed guesser.
pub fn cleared_on_success(limits: &[Limit]) -> Vec<String> {
    limits
        .iter()
        .filter(|l| l.key.starts_with("pair:"))
        .map(|l| l.key.clone())
        .collect()
}

/// A counter as stored: when its window began and the failures in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub key: String,
    pub window_start: NaiveDateTime,
    pub failures: i64,
}

/// Until when sign-in is refused, if any counter is at its limit in a window still running.
pub fn refused_until(
    limits: &[Limit],
    counts: &[Count],
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    counts
        .iter()
        .filter(|c| c.window_start + WINDOW > now)
        .filter(|c| limits.iter().any(|l| l.key == c.key && c.failures >= l.max))
        .map(|c| c.window_start + WINDOW)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + Duration::minutes(minute)
    }

    fn count(key: &str, start: i64, failures: i64) -> Count {
        Count {
            key: key.into(),
            window_start: at(start),
            failures,
        }
    }

    #[test]
    fn keys_ignore_case_and_name_the_address() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let keys: Vec<String> = limits(" Ann@Lab.CN ", Some(ip))
            .into_iter()
            .map(|l| l.key)
            .collect();
        assert_eq!(
            keys,
            [
                "account:ann@lab.cn",
                "pair:ann@lab.cn 10.0.0.7",
                "client:10.0.0.7"
            ]
        );
        assert_eq!(limits("ann@lab.cn", None).len(), 1);
    }

    #[test]
    fn a_full_counter_refuses_until_its_window_ends() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let limits = limits("ann@lab.cn", Some(ip));
        let pair = count("pair:ann@lab.cn 10.0.0.7", 0, PER_ACCOUNT_AND_ADDRESS);
        assert_eq!(
            refused_until(&limits, std::slice::from_ref(&pair), at(3)),
            Some(at(15))
        );
        assert_eq!(refused_until(&limits, &[pair], at(15)), None, "window over");
        let below = count("pair:ann@lab.cn 10.0.0.7", 0, PER_ACCOUNT_AND_ADDRESS - 1);
        assert_eq!(refused_until(&limits, &[below], at(3)), None);
        let other = count("pair:bob@lab.cn 10.0.0.7", 0, 99);
        assert_eq!(refused_until(&limits, &[other], at(3)), None);
    }

    #[test]
    fn success_clears_only_the_owners_address() {
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let cleared = cleared_on_success(&limits("ann@lab.cn", Some(ip)));
        assert_eq!(cleared, ["pair:ann@lab.cn 10.0.0.7"]);
    }
}
