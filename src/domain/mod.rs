//! Pure rules of the product: no actix, no diesel, testable with plain values.

pub mod actor;
pub mod allocation;
pub mod availability;
pub mod beamtime;
pub mod booking;
pub mod catalogue_csv;
pub mod catalogue_query;
pub mod clock;
pub mod ics;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod months;
pub mod opening;
pub mod programs;
pub mod resource;
pub mod seal;
pub mod service_order;
pub mod sessions;
pub mod settings;
pub mod sharing;
pub mod spreadsheet;
pub mod statement;
pub mod throttle;
pub mod token_life;
pub mod types;
pub mod uscc;
pub mod webhook;
pub mod written_hours;

use serde::Serialize;

/// The years the service takes dates in; nothing it schedules, grants or reports lies outside.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether `day` lies within [`YEARS`].
pub fn date_in_range(day: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    YEARS.contains(&day.year())
}

/// The message for a date outside [`YEARS`].
pub fn date_range_message() -> String {
    format!(
        "must be a date in the years {} to {}",
        YEARS.start(),
        YEARS.end()
    )
}

/// A required one-line text field: something besides whitespace, at most `max` characters as
/// sent, and nothing [`bad_char`] refuses.
pub fn text_fits(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && bad_char(text, false).is_none()
}

/// A required text field that may run over several lines, like [`text_fits`] otherwise.
pub fn prose_fits(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && bad_char(text, true).is_none()
}

/// The first character of `text` that other tenants must not be shown: a control character
/// (line breaks and tabs pass where `lines` is allowed), or a bidirectional embedding, override
/// or isolate, which makes text display in another order than it is stored.
pub fn bad_char(text: &str, lines: bool) -> Option<char> {
    text.chars().find(|&c| {
        let allowed_control = lines && matches!(c, '\n' | '\r' | '\t');
        (c.is_control() && !allowed_control)
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

/// One problem in a request: a field, or a line of an uploaded file, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub message: String,
}

/// Collects an issue for each check that fails, naming fields under an optional prefix.
#[derive(Debug, Default)]
pub struct Checks {
    prefix: &'static str,
    issues: Vec<Issue>,
}

impl Checks {
    /// Checks of the fields of one nested object, named `prefix.field`.
    pub fn under(prefix: &'static str) -> Checks {
        Checks {
            prefix,
            issues: Vec::new(),
        }
    }

    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            let name = match self.prefix {
                "" => field.to_owned(),
                prefix => format!("{prefix}.{field}"),
            };
            self.issues.push(Issue::field(name, message));
        }
    }

    pub fn issues(self) -> Vec<Issue> {
        self.issues
    }
}

impl Issue {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            field: Some(field.into()),
            line: None,
            message: message.into(),
        }
    }

    pub fn line(line: u64, message: impl Into<String>) -> Issue {
        Issue {
            field: None,
            line: Some(line),
            message: message.into(),
        }
    }
}
