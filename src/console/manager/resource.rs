//! One resource for its manager: a week of its calendar (opening hours, bookings, blackouts) on
//! its own clock, and forms for its rates, booking rules and weekly opening hours. Edits go
//! through the API's services, the catalogue's with the version the form was drawn from, so an
//! edit made meanwhile by someone else is refused rather than overwritten.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;

use super::super::chrome::{Chrome, label, local};
use super::super::lines::name;
use super::super::session::Posted;
use super::super::{Done, Shown, Slip, Viewer, done, page, status_of};
use crate::app::AppState;
use crate::db::bookings::{self, BookingFilter};
use crate::db::resources::ResourceView;
use crate::domain::ids::ResourceId;
use crate::domain::opening::{WEEKDAYS, format_hhmm};
use crate::domain::written_hours::{self, WeeklyInterval};
use crate::error::ServiceError;

pub struct Day {
    pub date: String,
    pub weekday: &'static str,
    pub open: String,
    pub entries: Vec<(i64, String, &'static str)>,
    pub blackouts: Vec<(String, String)>,
}

/// The form's values: what is stored, or what the user sent when it was refused.
#[derive(Deserialize, Default, Clone)]
pub struct SettingsForm {
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "resource.html", config = "src/console/askama.toml")]
struct ResourcePage {
    c: Chrome,
    id: i64,
    name: String,
    zone: String,
    status: &'static str,
    week: String,
    previous: String,
    next: String,
    days: Vec<Day>,
    version: i64,
    rules: Vec<(&'static str, &'static str, String)>,
    rates: Vec<(&'static str, &'static str, String)>,
    hours: Vec<(&'static str, &'static str, String)>,
    slip: Slip,
}

/// The booking rules a manager edits, with their labels, as the API names them.
const RULES: [(&str, &str); 8] = [
    ("granularity_min", "Slot granularity (minutes)"),
    ("min_duration_min", "Shortest booking (minutes)"),
    ("max_duration_min", "Longest booking (minutes)"),
    ("lead_time_min", "Book at least this long ahead (minutes)"),
    (
        "cancel_lead_time_min",
        "Cancel at least this long ahead (minutes)",
    ),
    ("advance_window_days", "Book at most this far ahead (days)"),
    ("setup_min", "Set-up before each booking (minutes)"),
    ("teardown_min", "Clean-up after each booking (minutes)"),
];

const RATES: [(&str, &str); 3] = [
    (
        "internal",
        "Rate for the institution's own users (yuan per unit-hour)",
    ),
    (
        "academic",
        "Rate for other institutions (yuan per unit-hour)",
    ),
    ("enterprise", "Rate for enterprises (yuan per unit-hour)"),
];

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn stored_rules(v: &ResourceView) -> [i32; 8] {
    let r = &v.row;
    [
        r.granularity_min,
        r.min_duration_min,
        r.max_duration_min,
        r.lead_time_min,
        r.cancel_lead_time_min,
        r.advance_window_days,
        r.setup_min,
        r.teardown_min,
    ]
}

fn yuan_text(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Yuan as a form gives them ("1234.5"), in fen.
fn fen_of(field: &str, text: &str) -> Result<i64, ServiceError> {
    let bad =
        || ServiceError::invalid_field(field, "give an amount in yuan, such as 120 or 120.50");
    let (whole, part) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if part.len() > 2 || whole.is_empty() || !digits(whole) || !digits(part) {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let part: i64 = format!("{part:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(part))
        .ok_or_else(bad)
}

/// The Monday of the week a `week` parameter names (any day of it), or of this week.
fn monday_of(asked: Option<&str>, today: NaiveDate) -> NaiveDate {
    let day = asked
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    day - Duration::days(day.weekday().num_days_from_monday().into())
}

fn midnight(day: NaiveDate, tz: Tz) -> chrono::NaiveDateTime {
    let at = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&at)
        .earliest()
        .map_or(at, |t| t.naive_utc())
}

#[derive(Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

struct Loaded {
    view: ResourceView,
    days: Vec<Day>,
    weekly: [String; 7],
}

async fn load(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    id: i64,
    week: Option<String>,
) -> Result<(Loaded, NaiveDate), ServiceError> {
    let (actor, locale, now) = (viewer.actor.clone(), viewer.locale, state.clock.now());
    crate::http::read(state, move |conn| {
        let view = crate::catalogue::editable_resource(conn, &actor, ResourceId(id))?;
        let tz = crate::http::handlers::bookings::tz_of(&view);
        let monday = monday_of(week.as_deref(), now.with_timezone(&tz).date_naive());
        let (from, to) = (
            midnight(monday, tz),
            midnight(monday + Duration::days(7), tz),
        );
        let hours = crate::db::opening_hours::opening_hours(conn, ResourceId(id))?;
        let filter = BookingFilter {
            resource: Some(id),
            from: Some(from),
            to: Some(to),
            ..Default::default()
        };
        let mut booked = bookings::list(conn, actor.reach(), &filter, (None, 1000))?;
        booked.sort_by_key(|b| b.start_at);
        let blackouts =
            crate::db::blackouts::list_blackouts(conn, ResourceId(id), Some(from), None, 200)?;
        let days = (0..7)
            .map(|i| {
                let date = monday + Duration::days(i);
                let (start, end) = (midnight(date, tz), midnight(date + Duration::days(1), tz));
                let open = hours
                    .intervals_on(date)
                    .iter()
                    .map(|(s, e)| format!("{}–{}", format_hhmm(*s), format_hhmm(*e)))
                    .collect::<Vec<_>>();
                Day {
                    date: date.to_string(),
                    weekday: label(locale, DAY_NAMES[i as usize]),
                    open: if open.is_empty() {
                        label(locale, "closed").to_owned()
                    } else {
                        open.join(", ")
                    },
                    entries: booked
                        .iter()
                        .filter(|b| b.start_at < end && b.end_at > start)
                        .map(|b| {
                            (
                                b.id,
                                format!("{} – {}", local(b.start_at, tz), local(b.end_at, tz)),
                                label(locale, b.state.as_str()),
                            )
                        })
                        .collect(),
                    blackouts: blackouts
                        .iter()
                        .filter(|b| b.start_at < end && b.end_at > start)
                        .map(|b| {
                            (
                                format!("{} – {}", local(b.start_at, tz), local(b.end_at, tz)),
                                b.reason.clone(),
                            )
                        })
                        .collect(),
                }
            })
            .collect();
        let mut weekly: [String; 7] = Default::default();
        for rule in &hours.weekly {
            let i = usize::from(rule.weekday.saturating_sub(1)).min(6);
            let text = format!(
                "{}-{}",
                format_hhmm(rule.start_min),
                format_hhmm(rule.end_min)
            );
            weekly[i] = if weekly[i].is_empty() {
                text
            } else {
                format!("{}, {text}", weekly[i])
            };
        }
        Ok((Loaded { view, days, weekly }, monday))
    })
    .await
}

async fn show(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    (id, week, notice): (i64, Option<String>, Option<String>),
    sent: Option<SettingsForm>,
    (slip, err): (Slip, Option<ServiceError>),
) -> Result<HttpResponse, Shown> {
    let (loaded, monday) = load(state, viewer, id, week).await?;
    let v = &loaded.view;
    let locale = viewer.locale;
    let sent_value = |key: &str| sent.as_ref().and_then(|f| f.fields.get(key).cloned());
    let stored = stored_rules(v);
    let rules = RULES
        .iter()
        .zip(stored)
        .map(|((key, en), n)| {
            (
                *key,
                label(locale, en),
                sent_value(key).unwrap_or(n.to_string()),
            )
        })
        .collect();
    let fen = [v.rates.internal, v.rates.academic, v.rates.enterprise];
    let rates = RATES
        .iter()
        .zip(fen)
        .map(|((key, en), f)| {
            (
                *key,
                label(locale, en),
                sent_value(key).unwrap_or(yuan_text(f)),
            )
        })
        .collect();
    let hours = WEEKDAYS
        .iter()
        .zip(DAY_NAMES)
        .enumerate()
        .map(|(i, (key, en))| {
            (
                *key,
                label(locale, en),
                sent_value(key).unwrap_or(loaded.weekly[i].clone()),
            )
        })
        .collect();
    let status = err.as_ref().map_or(StatusCode::OK, |e| status_of(&slip, e));
    page(
        status,
        ResourcePage {
            c: viewer.chrome(notice),
            id,
            name: name(locale, &v.row.name_en, &v.row.name_zh),
            zone: v.row.timezone.clone(),
            status: label(locale, v.row.status.as_str()),
            week: monday.to_string(),
            previous: (monday - Duration::days(7)).to_string(),
            next: (monday + Duration::days(7)).to_string(),
            days: loaded.days,
            version: sent
                .as_ref()
                .and_then(|f| f.version.parse().ok())
                .unwrap_or(v.row.version),
            rules,
            rates,
            hours,
            slip,
        },
    )
}

pub async fn resource(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    q: web::Query<WeekQuery>,
    d: web::Query<Done>,
) -> Result<HttpResponse, Shown> {
    let notice = d.notice(viewer.locale);
    let at = (path.into_inner(), q.into_inner().week, notice);
    show(&state, &viewer, at, None, (Slip::default(), None)).await
}

/// The patch a settings form asks for: booking rules and rates, as `PATCH /api/v1/resources/{id}`.
fn patch_of(f: &SettingsForm) -> Result<serde_json::Value, ServiceError> {
    let mut rules = serde_json::Map::new();
    for (key, _) in RULES {
        let text = f.fields.get(key).map_or("", |t| t.trim());
        let n: i64 = text
            .parse()
            .map_err(|_| ServiceError::invalid_field(key, "give a whole number"))?;
        rules.insert(key.into(), json!(n));
    }
    let mut rates = serde_json::Map::new();
    for (key, _) in RATES {
        rates.insert(
            key.into(),
            json!(fen_of(key, f.fields.get(key).map_or("", |t| t.as_str()))?),
        );
    }
    Ok(json!({"booking_rules": rules, "rates": rates}))
}

/// The issue's field as the form names it: `booking_rules.lead_time_min` is `lead_time_min`.
fn on_form(mut e: ServiceError) -> ServiceError {
    for issue in &mut e.issues {
        if let Some(f) = &issue.field {
            issue.field = Some(f.rsplit('.').next().unwrap_or(f).to_owned());
        }
    }
    e
}

pub async fn save_settings(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<SettingsForm>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer, f) = (path.into_inner(), posted.viewer, posted.form);
    let (actor, now, version) = (
        viewer.actor.clone(),
        state.clock.naive(),
        f.version.parse().ok(),
    );
    let result = match patch_of(&f) {
        Ok(patch) => {
            crate::http::write(&state, move |conn| {
                crate::catalogue::update_resource(conn, &actor, ResourceId(id), version, patch, now)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result.map_err(on_form) {
        Ok(_) => Ok(done(&format!("/console/resources/{id}"), "saved", id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            let week = f.fields.get("week").cloned();
            show(&state, &viewer, (id, week, None), Some(f), (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Weekly intervals as a form writes them, one field per weekday: `08:00-12:00, 13:00-18:00`.
fn weekly_of(f: &SettingsForm) -> Result<Vec<WeeklyInterval>, ServiceError> {
    let mut out = Vec::new();
    for day in WEEKDAYS {
        let text = f.fields.get(day).map_or("", |t| t.trim());
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (start, end) = part.split_once('-').ok_or_else(|| {
                ServiceError::invalid_field(day, "write intervals as 08:00-12:00, 13:00-18:00")
            })?;
            out.push(WeeklyInterval {
                weekday: day.into(),
                start: start.trim().into(),
                end: end.trim().into(),
            });
        }
    }
    Ok(out)
}

pub async fn save_hours(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    posted: Posted<SettingsForm>,
) -> Result<HttpResponse, Shown> {
    let (id, viewer, f) = (path.into_inner(), posted.viewer, posted.form);
    let (actor, now) = (viewer.actor.clone(), state.clock.naive());
    let weekly = weekly_of(&f).and_then(|w| {
        written_hours::read(&w, &[])
            .map_err(|issues| on_weekday(ServiceError::validation(issues), &w))
    });
    let result = match weekly {
        Ok(parsed) => {
            crate::http::write(&state, move |conn| {
                let keep = |current: &crate::domain::opening::OpeningHours| {
                    Ok(crate::domain::opening::OpeningHours {
                        weekly: parsed.weekly,
                        exceptions: current.exceptions.clone(),
                    })
                };
                crate::http::handlers::opening_hours::replace(
                    conn,
                    &actor,
                    (ResourceId(id), None),
                    keep,
                    now,
                )
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/console/resources/{id}"), "hours-saved", id)),
        Err(e) if e.code.status() < 500 => {
            let slip = Slip::of(id, &e, viewer.locale);
            let week = f.fields.get("week").cloned();
            show(&state, &viewer, (id, week, None), Some(f), (slip, Some(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Names an opening-hours issue by the weekday field it came from: `weekly[2].start` is the third
/// interval written, shown beside its day.
fn on_weekday(mut e: ServiceError, written: &[WeeklyInterval]) -> ServiceError {
    for issue in &mut e.issues {
        let index = issue
            .field
            .as_deref()
            .and_then(|f| f.strip_prefix("weekly["))
            .and_then(|f| f.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        issue.field = index
            .and_then(|i| written.get(i))
            .map(|w| w.weekday.clone());
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::types::Locale;

    #[test]
    fn the_settings_labels_read_in_chinese() {
        for (_, en) in RULES.iter().chain(&RATES) {
            assert_ne!(label(Locale::ZhCn, en), *en);
        }
    }

    #[test]
    fn yuan_are_read_to_the_fen() {
        assert_eq!(fen_of("internal", "120").unwrap(), 12_000);
        assert_eq!(fen_of("internal", "120.5").unwrap(), 12_050);
        assert_eq!(fen_of("internal", " 0.05 ").unwrap(), 5);
        for bad in ["", "1.234", "-3", "12,5", "abc", ".5"] {
            assert!(fen_of("internal", bad).is_err(), "{bad}");
        }
    }
}
