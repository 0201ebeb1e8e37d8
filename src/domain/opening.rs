//! Opening hours: weekly rules plus dated exceptions, in the resource's own time zone.
//! Times are minutes from local midnight; an interval ends at most at 24:00.

use chrono::NaiveDate;

use super::Issue;

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Open from `start_min` to `end_min` on an ISO weekday (1 = Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRule {
    pub weekday: u8,
    pub start_min: u16,
    pub end_min: u16,
}

/// A local date whose hours replace the weekly rule; no interval means closed all day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedException {
    pub day: NaiveDate,
    pub interval: Option<(u16, u16)>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours {
    pub weekly: Vec<WeeklyRule>,
    pub exceptions: Vec<DatedException>,
}

impl OpeningHours {
    /// The open intervals of a local date: its exceptions if it has any, else its weekday's rules.
    pub fn intervals_on(&self, day: NaiveDate) -> Vec<(u16, u16)> {
        let exceptions: Vec<&DatedException> =
            self.exceptions.iter().filter(|e| e.day == day).collect();
        let mut spans: Vec<(u16, u16)> = if exceptions.is_empty() {
            use chrono::Datelike;
            let weekday = day.weekday().number_from_monday() as u8;
            self.weekly
                .iter()
                .filter(|r| r.weekday == weekday)
                .map(|r| (r.start_min, r.end_min))
                .collect()
        } else {
            exceptions.iter().filter_map(|e| e.interval).collect()
        };
        spans.sort();
        spans
    }
}

/// Parses "HH:MM" (24:00 allowed, as an end) into minutes from midnight.
pub fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

pub fn format_hhmm(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

pub fn weekday_number(name: &str) -> Option<u8> {
    WEEKDAYS
        .iter()
        .position(|d| *d == name)
        .map(|i| i as u8 + 1)
}

pub fn weekday_name(number: u8) -> &'static str {
    WEEKDAYS[(number.clamp(1, 7) - 1) as usize]
}

/// Parses one "start"–"end" pair, reporting problems under `field`.
pub fn parse_interval(field: &str, start: &str, end: &str) -> Result<(u16, u16), Issue> {
    let bad = |which: &str, v: &str| {
        Issue::field(
            format!("{field}.{which}"),
            format!("{v:?} is not a time of day; use HH:MM, 00:00 to 24:00"),
        )
    };
    let s = parse_hhmm(start)
        .filter(|s| *s < 1440)
        .ok_or_else(|| bad("start", start))?;
    let e = parse_hhmm(end)
        .filter(|e| *e > 0)
        .ok_or_else(|| bad("end", end))?;
    if s >= e {
        return Err(Issue::field(
            field,
            format!("start {start} must be before end {end}; split intervals that cross midnight"),
        ));
    }
    Ok((s, e))
}

/// Checks that no two intervals of the same day overlap.
pub fn check_overlaps(hours: &OpeningHours) -> Vec<Issue> {
    let mut issues = Vec::new();
    for day in 1..=7u8 {
        let mut spans: Vec<(u16, u16)> = hours
            .weekly
            .iter()
            .filter(|r| r.weekday == day)
            .map(|r| (r.start_min, r.end_min))
            .collect();
        if overlapping(&mut spans) {
            issues.push(Issue::field(
                "weekly",
                format!("intervals on {} overlap", weekday_name(day)),
            ));
        }
    }
    let mut days: Vec<NaiveDate> = hours.exceptions.iter().map(|e| e.day).collect();
    days.sort();
    days.dedup();
    for day in days {
        let same: Vec<&DatedException> = hours.exceptions.iter().filter(|e| e.day == day).collect();
        let mut spans: Vec<(u16, u16)> = same.iter().filter_map(|e| e.interval).collect();
        if spans.len() != same.len() && same.len() > 1 {
            issues.push(Issue::field(
                "exceptions",
                format!("{day} is both closed and open; a closed day has a single entry"),
            ));
        } else if overlapping(&mut spans) {
            issues.push(Issue::field(
                "exceptions",
                format!("intervals on {day} overlap"),
            ));
        }
    }
    issues
}

fn overlapping(spans: &mut [(u16, u16)]) -> bool {
    spans.sort();
    spans.windows(2).any(|w| w[1].0 < w[0].1)
}

/// The hours a new resource gets until its manager sets them: instruments open on working days,
/// facilities and computing run around the clock.
pub fn default_weekly(kind: super::types::ResourceKind) -> Vec<WeeklyRule> {
    use super::types::ResourceKind;
    let (days, start, end) = match kind {
        ResourceKind::Instrument => (1..=5u8, 8 * 60, 20 * 60),
        ResourceKind::Facility | ResourceKind::Computing => (1..=7u8, 0, 1440),
    };
    days.map(|weekday| WeeklyRule {
        weekday,
        start_min: start,
        end_min: end,
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times() {
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("8:30"), None);
        assert_eq!(format_hhmm(510), "08:30");
    }

    #[test]
    fn finds_overlaps() {
        let hours = OpeningHours {
            weekly: vec![
                WeeklyRule {
                    weekday: 1,
                    start_min: 480,
                    end_min: 720,
                },
                WeeklyRule {
                    weekday: 1,
                    start_min: 700,
                    end_min: 800,
                },
                WeeklyRule {
                    weekday: 2,
                    start_min: 480,
                    end_min: 720,
                },
                WeeklyRule {
                    weekday: 2,
                    start_min: 720,
                    end_min: 800,
                },
            ],
            exceptions: vec![],
        };
        let issues = check_overlaps(&hours);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("mon"));
    }

    #[test]
    fn rejects_inverted_interval() {
        assert!(parse_interval("weekly[0]", "18:00", "08:00").is_err());
        assert_eq!(parse_interval("w", "00:00", "24:00"), Ok((0, 1440)));
    }
}
