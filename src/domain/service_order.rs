//! The rules of a service order (sample testing): which step may follow which, when the report
//! is due, and what a report file may be. An order moves
//! `submitted → accepted → samples_received → in_progress → report_delivered`, or ends
//! `rejected` by the lab (before measuring starts: the order, or samples that arrive unfit) or
//! `cancelled` (by the orderer until the samples arrive, by the lab until the report is
//! delivered).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::types::OrderState;

/// A step an order can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Reject,
    ReceiveSamples,
    Start,
    Deliver,
    Cancel,
}

impl Step {
    /// Its name in the order's history, in audit records and webhook event types.
    pub fn event(self) -> &'static str {
        match self {
            Step::Accept => "accepted",
            Step::Reject => "rejected",
            Step::ReceiveSamples => "samples_received",
            Step::Start => "in_progress",
            Step::Deliver => "report_delivered",
            Step::Cancel => "cancelled",
        }
    }
}

/// Who takes a step: the lab (the service's staff) or the ordering organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Lab,
    Orderer,
}

/// The state `step` leads to from `from`, or why it cannot be taken.
pub fn next(from: OrderState, step: Step, side: Side) -> Result<OrderState, String> {
    use OrderState::*;
    let to = match (step, from) {
        (Step::Accept, Submitted) => Accepted,
        (Step::Reject, Submitted | Accepted | SamplesReceived) => Rejected,
        (Step::ReceiveSamples, Accepted) => SamplesReceived,
        (Step::Start, SamplesReceived) => InProgress,
        (Step::Deliver, InProgress) => ReportDelivered,
        (Step::Cancel, Submitted | Accepted) => Cancelled,
        (Step::Cancel, SamplesReceived | InProgress) if side == Side::Lab => Cancelled,
        (Step::Cancel, SamplesReceived | InProgress) => {
            return Err(format!(
                "the lab has the samples (the order is {from}); ask the lab to cancel it"
            ));
        }
        _ => return Err(format!("the order is {from}; {}", expected(step))),
    };
    if side == Side::Orderer && step != Step::Cancel {
        return Err("only the lab's operators and managers take this step".to_owned());
    }
    Ok(to)
}

fn expected(step: Step) -> &'static str {
    match step {
        Step::Accept => "only a submitted order can be accepted",
        Step::Reject => "an order is rejected before measuring starts; cancel it instead",
        Step::ReceiveSamples => "samples are received for an accepted order",
        Step::Start => "measuring starts once the samples are received",
        Step::Deliver => "the report is delivered for an order in progress",
        Step::Cancel => "a delivered, rejected or cancelled order is final",
    }
}

/// Whether the order is over.
pub fn is_final(state: OrderState) -> bool {
    matches!(
        state,
        OrderState::ReportDelivered | OrderState::Rejected | OrderState::Cancelled
    )
}

/// The day `days` working days (Monday to Friday) after `from`.
pub fn working_days_after(from: NaiveDate, days: i64) -> NaiveDate {
    let mut day = from;
    let mut left = days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// The largest report accepted, in bytes.
pub const MAX_REPORT_BYTES: usize = 10 * 1024 * 1024;

/// The file types a report may be, each with the bytes its files begin with.
pub const REPORT_TYPES: &[(&str, &[u8])] = &[
    ("application/pdf", b"%PDF-"),
    (
        "image/png",
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a],
    ),
    ("image/jpeg", b"\xff\xd8\xff"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    ("application/zip", b"PK\x03\x04"),
];

/// Checks that `bytes` are a file of `content_type`, by its first bytes: a file is served back
/// as the type it was checked to be, never as what its uploader claimed.
pub fn check_report(content_type: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let wanted = content_type.split(';').next().unwrap_or("").trim();
    let Some((name, magic)) = REPORT_TYPES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
    else {
        let names: Vec<&str> = REPORT_TYPES.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "a report is one of {}; send it with its Content-Type",
            names.join(", ")
        ));
    };
    if bytes.is_empty() {
        return Err("the report is empty".to_owned());
    }
    if !bytes.starts_with(magic) {
        return Err(format!("the file is not a {name} file"));
    }
    Ok(name)
}

/// A file name fit to send back in a `Content-Disposition` header: its last path part, without
/// control characters, quotes or backslashes, at most 120 characters; `None` if nothing is left.
pub fn clean_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | ';'))
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .take(120)
        .collect();
    let kept = kept.trim().trim_start_matches('.').to_owned();
    (!kept.is_empty()).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderState::*;

    #[test]
    fn the_lab_moves_an_order_through_its_steps() {
        let steps = [
            (Submitted, Step::Accept, Accepted),
            (Accepted, Step::ReceiveSamples, SamplesReceived),
            (SamplesReceived, Step::Start, InProgress),
            (InProgress, Step::Deliver, ReportDelivered),
        ];
        for (from, step, to) in steps {
            assert_eq!(next(from, step, Side::Lab), Ok(to));
            assert!(next(from, step, Side::Orderer).is_err());
        }
        assert!(next(Submitted, Step::Deliver, Side::Lab).is_err());
        assert_eq!(next(SamplesReceived, Step::Reject, Side::Lab), Ok(Rejected));
        assert!(next(InProgress, Step::Reject, Side::Lab).is_err());
    }

    #[test]
    fn the_orderer_cancels_only_until_the_samples_arrive() {
        assert_eq!(next(Accepted, Step::Cancel, Side::Orderer), Ok(Cancelled));
        assert!(next(SamplesReceived, Step::Cancel, Side::Orderer).is_err());
        assert_eq!(next(InProgress, Step::Cancel, Side::Lab), Ok(Cancelled));
        assert!(next(ReportDelivered, Step::Cancel, Side::Lab).is_err());
    }

    #[test]
    fn turnaround_skips_weekends() {
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(
            working_days_after(friday, 1),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        assert_eq!(
            working_days_after(friday, 5),
            NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
        );
    }

    #[test]
    fn a_report_is_what_its_first_bytes_say() {
        assert_eq!(
            check_report("application/pdf", b"%PDF-1.7 ..."),
            Ok("application/pdf")
        );
        assert!(check_report("application/pdf", b"<html>").is_err());
        assert!(check_report("text/html", b"<html>").is_err());
        assert!(check_report("image/png", b"").is_err());
    }

    #[test]
    fn file_names_lose_paths_and_header_breakers() {
        assert_eq!(
            clean_file_name("../../etc/pa\"ss;wd.pdf").as_deref(),
            Some("passwd.pdf")
        );
        assert_eq!(
            clean_file_name("C:\\reports\\报告.pdf").as_deref(),
            Some("报告.pdf")
        );
        assert_eq!(clean_file_name("\u{7}"), None);
    }
}
