//! What every page has around its content: who is signed in, the navigation their role has, the
//! form token, the notice of what just happened, and the page's language. Labels are written in
//! English in the templates and looked up in `zh-CN.txt` for Chinese readers.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::domain::types::{Locale, Role};

const ZH_CN: &str = include_str!("zh-CN.txt");

/// The console's labels in Chinese, keyed by their English text.
fn chinese() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| parse(ZH_CN))
}

/// Pairs of lines: the English label, then `= ` and its Chinese.
fn parse(source: &'static str) -> HashMap<&'static str, &'static str> {
    let mut table = HashMap::new();
    let mut english = None;
    for line in source.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match (line.strip_prefix("= "), english.take()) {
            (Some(zh), Some(en)) => {
                table.insert(en, zh);
            }
            (None, _) => english = Some(line),
            (Some(_), None) => {}
        }
    }
    table
}

/// A label in `locale`: English as written, or its Chinese (English when the table lacks it).
pub fn label(locale: Locale, english: &'static str) -> &'static str {
    match locale {
        Locale::En => english,
        Locale::ZhCn => chinese().get(english).copied().unwrap_or(english),
    }
}

/// A text the service wrote (a problem's detail), in `locale`.
pub fn message(locale: Locale, english: &str) -> String {
    match locale {
        Locale::En => english.to_owned(),
        Locale::ZhCn => crate::http::locale::to_chinese(english).unwrap_or_else(|| english.into()),
    }
}

/// The frame of a signed-in page.
pub struct Chrome {
    pub locale: Locale,
    pub name: String,
    pub role: Role,
    pub csrf: String,
    /// The path of this page, where the language switch returns to.
    pub here: String,
    /// What the last action did, already in the page's language.
    pub notice: Option<String>,
}

/// A link of the navigation.
pub struct Link {
    pub href: &'static str,
    pub label: &'static str,
    pub action: &'static str,
}

impl Chrome {
    pub fn t(&self, english: &'static str) -> &'static str {
        label(self.locale, english)
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// The pages this user's role works with.
    pub fn nav(&self) -> Vec<Link> {
        let link = |href, en, action| Link {
            href,
            label: self.t(en),
            action,
        };
        let mut links = Vec::new();
        let staff = matches!(self.role, Role::Operator | Role::Manager | Role::Admin);
        let manager = matches!(self.role, Role::Manager | Role::Admin);
        let booker = matches!(self.role, Role::Booker | Role::Admin);
        let issuer = matches!(self.role, Role::Issuer | Role::Admin);
        if staff {
            links.push(link("/console/queue", "Approval queue", "nav-queue"));
            links.push(link("/console/sessions", "Sessions", "nav-sessions"));
            links.push(link(
                "/console/qualifications",
                "Qualifications",
                "nav-qualifications",
            ));
        }
        if manager {
            links.push(link("/console/resources", "Resources", "nav-resources"));
            links.push(link("/console/import", "Import", "nav-import"));
        }
        if booker {
            links.push(link("/console/search", "Find a slot", "nav-search"));
        }
        links.push(link("/console/bookings", "Bookings", "nav-bookings"));
        if booker || issuer {
            links.push(link("/console/vouchers", "Vouchers", "nav-vouchers"));
        }
        if issuer {
            links.push(link("/console/programmes", "Programmes", "nav-programmes"));
        }
        if manager || issuer {
            links.push(link("/console/reports", "Reports", "nav-reports"));
        }
        links.push(link("/console/feeds", "Calendar feeds", "nav-feeds"));
        links
    }
}

/// A UTC time as the resource's clock shows it.
pub fn local(at: NaiveDateTime, tz: Tz) -> String {
    at.and_utc()
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An interval in the resource's zone, with the zone named.
pub fn span(start: NaiveDateTime, end: NaiveDateTime, tz: Tz) -> String {
    let (s, e) = (
        start.and_utc().with_timezone(&tz),
        end.and_utc().with_timezone(&tz),
    );
    let end = if s.date_naive() == e.date_naive() {
        e.format("%H:%M").to_string()
    } else {
        e.format("%Y-%m-%d %H:%M").to_string()
    };
    format!("{} – {end} ({})", s.format("%Y-%m-%d %H:%M"), tz.name())
}

/// Fen as yuan, with the sign of the currency.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The templates and the pages' code, where labels are written.
    fn sources() -> Vec<std::path::PathBuf> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src/console");
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).expect("console folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                    found.push(path);
                }
            }
        }
        found
    }

    #[test]
    fn every_label_of_the_pages_has_its_chinese() {
        let mut missing = Vec::new();
        for path in sources() {
            let text = std::fs::read_to_string(path).expect("source");
            for part in text.split(".t(\"").skip(1) {
                let english = part.split("\")").next().unwrap_or("");
                if !chinese().contains_key(english) {
                    missing.push(english.to_owned());
                }
            }
        }
        let named = [
            "Approval queue",
            "Sessions",
            "Resources",
            "Find a slot",
            "Bookings",
            "Vouchers",
            "The form is not one this console sent; reload the page and try again.",
            "The form could not be read; reload the page and try again.",
        ];
        let states = [
            "pending",
            "confirmed",
            "waitlisted",
            "rejected",
            "cancelled",
            "expired",
        ];
        let more = [
            "completed",
            "no_show",
            "active",
            "suspended",
            "retired",
            "revoked",
        ];
        let movements = ["grant", "hold", "release", "capture", "expire", "reversal"];
        for english in named.iter().chain(&states).chain(&more).chain(&movements) {
            if !chinese().contains_key(english) {
                missing.push((*english).to_owned());
            }
        }
        assert!(missing.is_empty(), "labels without Chinese: {missing:?}");
    }

    #[test]
    fn money_and_times_read_as_people_write_them() {
        assert_eq!(yuan(123_450), "¥1234.50");
        assert_eq!(yuan(-5), "-¥0.05");
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
            .and_then(|d| d.and_hms_opt(1, 0, 0))
            .expect("time");
        let shanghai: Tz = "Asia/Shanghai".parse().expect("zone");
        assert_eq!(
            span(at, at + chrono::Duration::hours(2), shanghai),
            "2026-12-08 09:00 – 11:00 (Asia/Shanghai)"
        );
    }
}
