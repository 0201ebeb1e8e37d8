//! Opening hours as people write them (weekday names, "HH:MM" times, a reason for each dated
//! exception) and their reading into checked [`OpeningHours`], naming every bad entry.

use serde::{Deserialize, Serialize};

use super::Issue;
use super::opening::{self, DatedException, OpeningHours, WeeklyRule};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyInterval {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDay {
    pub date: chrono::NaiveDate,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    pub reason: String,
}

/// Reads written hours; every issue found, when there is any.
pub fn read(
    weekly: &[WeeklyInterval],
    exceptions: &[ExceptionDay],
) -> Result<OpeningHours, Vec<Issue>> {
    let mut issues = Vec::new();
    let hours = OpeningHours {
        weekly: read_weekly(weekly, &mut issues),
        exceptions: read_exceptions(exceptions, &mut issues),
    };
    issues.extend(opening::check_overlaps(&hours));
    if issues.is_empty() {
        Ok(hours)
    } else {
        Err(issues)
    }
}

fn read_weekly(weekly: &[WeeklyInterval], issues: &mut Vec<Issue>) -> Vec<WeeklyRule> {
    let mut rules = Vec::new();
    for (i, w) in weekly.iter().enumerate() {
        let field = format!("weekly[{i}]");
        let Some(weekday) = opening::weekday_number(&w.weekday) else {
            issues.push(Issue::field(
                format!("{field}.weekday"),
                "must be one of mon, tue, wed, thu, fri, sat, sun",
            ));
            continue;
        };
        match opening::parse_interval(&field, &w.start, &w.end) {
            Ok((start_min, end_min)) => rules.push(WeeklyRule {
                weekday,
                start_min,
                end_min,
            }),
            Err(issue) => issues.push(issue),
        }
    }
    rules
}

fn read_exceptions(exceptions: &[ExceptionDay], issues: &mut Vec<Issue>) -> Vec<DatedException> {
    let mut days = Vec::new();
    for (i, e) in exceptions.iter().enumerate() {
        let field = format!("exceptions[{i}]");
        let interval = match (&e.start, &e.end) {
            (None, None) => None,
            (Some(s), Some(t)) => match opening::parse_interval(&field, s, t) {
                Ok(span) => Some(span),
                Err(issue) => {
                    issues.push(issue);
                    continue;
                }
            },
            _ => {
                issues.push(Issue::field(
                    field,
                    "give both start and end, or neither for a closed day",
                ));
                continue;
            }
        };
        if e.reason.trim().is_empty() || e.reason.chars().count() > 300 {
            issues.push(Issue::field(
                format!("{field}.reason"),
                "say why (1 to 300 characters)",
            ));
        }
        days.push(DatedException {
            day: e.date,
            interval,
            reason: e.reason.trim().to_owned(),
        });
    }
    days
}
