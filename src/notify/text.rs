//! The words of every message, in English and Simplified Chinese, and the two bodies (plain text
//! and HTML) made from the same paragraphs.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::types::Locale;

/// Picks the recipient's language.
pub fn t<'a>(locale: Locale, en: &'a str, zh: &'a str) -> &'a str {
    match locale {
        Locale::En => en,
        Locale::ZhCn => zh,
    }
}

/// Fen as yuan with two decimals: 160000 → "¥1,600.00".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// A slot in the resource's time zone, with the zone named: "2026-12-01 09:00–11:00
/// (Asia/Shanghai, UTC+08:00)"; the end carries its date when it falls on another day.
pub fn local_slot(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let end_text = if s.date_naive() == e.date_naive() {
        e.format("%H:%M").to_string()
    } else {
        e.format("%Y-%m-%d %H:%M").to_string()
    };
    format!(
        "{}–{} ({}, UTC{})",
        s.format("%Y-%m-%d %H:%M"),
        end_text,
        tz.name(),
        s.format("%:z")
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A message's subject and paragraphs, rendered as plain text and as HTML.
pub struct Letter {
    pub subject: String,
    pub paragraphs: Vec<String>,
}

impl Letter {
    pub fn text(&self) -> String {
        let mut out = self.paragraphs.join("\n\n");
        out.push_str("\n\n-- \ninstrument-booking\n");
        out
    }

    pub fn html(&self) -> String {
        let body: String = self
            .paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>\n", escape(p).replace('\n', "<br>\n")))
            .collect();
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}<p style=\"color:#666\">instrument-booking</p>\n</body></html>\n",
            escape(&self.subject)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(yuan(160_000), "¥1,600.00");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-2_250), "-¥22.50");
    }

    #[test]
    fn slots_name_their_zone() {
        let start = "2026-12-01T01:00:00Z".parse().unwrap();
        let end = "2026-12-01T03:00:00Z".parse().unwrap();
        assert_eq!(
            local_slot(start, end, chrono_tz::Asia::Shanghai),
            "2026-12-01 09:00–11:00 (Asia/Shanghai, UTC+08:00)"
        );
    }

    #[test]
    fn html_is_escaped() {
        let l = Letter {
            subject: "a < b".into(),
            paragraphs: vec!["<script>".into()],
        };
        assert!(l.html().contains("&lt;script&gt;"));
        assert!(!l.html().contains("<script>"));
        assert!(l.text().contains("<script>"));
    }
}
