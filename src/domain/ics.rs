//! A booking as an iCalendar (RFC 5545) event: UTC times, escaped text, lines folded at 75 octets.

use chrono::{DateTime, Utc};

/// What a calendar entry for a booking shows.
pub struct Event<'a> {
    pub uid: String,
    pub stamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    /// CONFIRMED, TENTATIVE or CANCELLED.
    pub status: &'a str,
    pub sequence: i64,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values: backslash, semicolon, comma and newlines.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line so that no physical line exceeds 75 octets, never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        let len = ch.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += len;
    }
    out.push_str("\r\n");
    out
}

pub fn calendar(e: &Event<'_>) -> String {
    calendar_of(std::slice::from_ref(e))
}

/// One calendar holding several events, such as a weekly series' occurrences.
pub fn calendar_of(events: &[Event<'_>]) -> String {
    let head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//instrument-booking//YRD shared instruments//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ];
    let mut out: String = head.iter().map(|l| fold(l)).collect();
    for e in events {
        out.push_str(&event(e));
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

fn event(e: &Event<'_>) -> String {
    let lines = [
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", e.uid),
        format!("DTSTAMP:{}", stamp(e.stamp)),
        format!("DTSTART:{}", stamp(e.start)),
        format!("DTEND:{}", stamp(e.end)),
        format!("SUMMARY:{}", escape(e.summary)),
        format!("LOCATION:{}", escape(e.location)),
        format!("DESCRIPTION:{}", escape(e.description)),
        format!("STATUS:{}", e.status),
        format!("SEQUENCE:{}", e.sequence),
        "END:VEVENT".to_owned(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn folds_long_lines_and_escapes_text() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        let long = "冷冻电镜, 300 kV; ".repeat(10);
        let ics = calendar(&Event {
            uid: "booking-1@instrument-booking".into(),
            stamp: t,
            start: t,
            end: t,
            summary: &long,
            location: "Hangzhou",
            description: "a\nb",
            status: "CONFIRMED",
            sequence: 1,
        });
        assert!(ics.lines().all(|l| l.len() <= 75));
        assert!(ics.contains("DTSTART:20261201T010000Z\r\n"));
        assert!(ics.contains("DESCRIPTION:a\\nb"));
        assert!(ics.contains("\\, 300 kV\\;"));
    }
}
