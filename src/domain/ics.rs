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

/// What a calendar asks of the application that reads it (RFC 5546): PUBLISH for a download or a
/// feed; REQUEST to add or update an entry, CANCEL to remove it, both matched by UID and taken
/// only when their SEQUENCE is not lower than the entry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Publish,
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

pub fn calendar(e: &Event<'_>, method: Method) -> String {
    calendar_of(std::slice::from_ref(e), method, None)
}

/// One calendar holding several events, such as a weekly series' occurrences or a feed; `name`
/// is what a subscribed calendar application calls it.
pub fn calendar_of(events: &[Event<'_>], method: Method, name: Option<&str>) -> String {
    let head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//instrument-booking//YRD shared instruments//EN",
        "CALSCALE:GREGORIAN",
    ];
    let mut out: String = head.iter().map(|l| fold(l)).collect();
    out.push_str(&fold(&format!("METHOD:{}", method.as_str())));
    if let Some(name) = name {
        out.push_str(&fold(&format!("X-WR-CALNAME:{}", escape(name))));
    }
    for e in events {
        out.push_str(&event(e));
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

/// The METHOD a calendar declares, if any.
pub fn method_of(ics: &str) -> Option<&str> {
    ics.lines()
        .find_map(|l| l.strip_prefix("METHOD:"))
        .map(str::trim_end)
}

/// The calendar with ORGANIZER and ATTENDEE added to each event, as RFC 5546 requires of a
/// REQUEST or CANCEL: only the mail that carries it knows who sends it and to whom.
pub fn with_parties(ics: &str, organizer: &str, attendee: &str) -> String {
    let parties = fold(&format!("ORGANIZER:mailto:{organizer}"))
        + &fold(&format!("ATTENDEE;RSVP=FALSE:mailto:{attendee}"));
    let mut out = String::with_capacity(ics.len() + 2 * parties.len());
    for line in ics.split_inclusive("\r\n") {
        out.push_str(line);
        if line == "BEGIN:VEVENT\r\n" {
            out.push_str(&parties);
        }
    }
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
        let ics = calendar(
            &Event {
                uid: "booking-1@instrument-booking".into(),
                stamp: t,
                start: t,
                end: t,
                summary: &long,
                location: "Hangzhou",
                description: "a\nb",
                status: "CONFIRMED",
                sequence: 1,
            },
            Method::Publish,
        );
        assert!(ics.lines().all(|l| l.len() <= 75));
        assert!(ics.contains("DTSTART:20261201T010000Z\r\n"));
        assert!(ics.contains("DESCRIPTION:a\\nb"));
        assert!(ics.contains("\\, 300 kV\\;"));
        assert_eq!(method_of(&ics), Some("PUBLISH"));
    }

    #[test]
    fn a_request_names_who_sends_it_and_to_whom() {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        let e = Event {
            uid: "booking-7@instrument-booking".into(),
            stamp: t,
            start: t,
            end: t,
            summary: "NMR",
            location: "Hefei",
            description: "",
            status: "CANCELLED",
            sequence: 3,
        };
        let ics = with_parties(&calendar(&e, Method::Cancel), "noreply@x.cn", "wu@y.cn");
        assert_eq!(method_of(&ics), Some("CANCEL"));
        let lines: Vec<&str> = ics.split("\r\n").collect();
        let begin = lines.iter().position(|l| *l == "BEGIN:VEVENT").unwrap();
        assert_eq!(lines[begin + 1], "ORGANIZER:mailto:noreply@x.cn");
        assert_eq!(lines[begin + 2], "ATTENDEE;RSVP=FALSE:mailto:wu@y.cn");
        assert_eq!(ics.matches("ORGANIZER").count(), 1);
    }
}
