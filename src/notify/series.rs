//! A weekly series is told in one message, not one per occurrence: when it is booked (each
//! occurrence with its outcome, the fees, one calendar file with every occurrence), and when the
//! rest of it is cancelled. The resource's deciders hear once of a series that waits for them.

use chrono::NaiveDateTime;

use super::allocations::resource;
use super::text::{Letter, local_slot, t, yuan};
use super::{Envelope, deciders, queue, recipient};
use crate::db::DbConnection;
use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::domain::availability::Span;
use crate::domain::types::{BookingState, Locale};
use crate::error::ServiceError;

/// One occurrence as the message lists it: when, and the booking or why there is none.
pub struct Line<'a> {
    pub span: Span,
    pub outcome: Result<&'a BookingRow, &'a str>,
}

/// What happened to the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesNews {
    Booked,
    Cancelled,
}

fn state_word(l: Locale, s: BookingState) -> &'static str {
    match s {
        BookingState::Confirmed => t(l, "confirmed", "已确认"),
        BookingState::Pending => t(l, "waiting for approval", "待审批"),
        BookingState::Waitlisted => t(l, "on the waitlist", "候补"),
        BookingState::Cancelled => t(l, "cancelled", "已取消"),
        other => other.as_str(),
    }
}

fn letter(news: SeriesNews, l: Locale, view: &ResourceView, lines: &[Line<'_>]) -> Letter {
    let tz = view.row.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let (subject, lead) = match news {
        SeriesNews::Booked => (
            t(l, "Weekly series booked", "每周系列预约结果"),
            t(
                l,
                "Your weekly series, occurrence by occurrence. The calendar file holds every booked one.",
                "您的每周系列预约逐次结果如下，日历文件包含所有已预约的场次。",
            ),
        ),
        SeriesNews::Cancelled => (
            t(l, "Weekly series cancelled", "每周系列预约已取消"),
            t(
                l,
                "The rest of your weekly series is cancelled, occurrence by occurrence:",
                "您的每周系列预约余下场次已取消，逐次结果如下：",
            ),
        ),
    };
    let mut list = Vec::new();
    for line in lines {
        let when = local_slot(line.span.start, line.span.end, tz);
        list.push(match line.outcome {
            Ok(b) => format!("- {when}: {} {}", b.id, state_word(l, b.state)),
            Err(why) => format!("- {when}: {why}"),
        });
    }
    let booked: Vec<&BookingRow> = lines.iter().filter_map(|x| x.outcome.ok()).collect();
    let (gross, share) = booked.iter().fold((0i64, 0i64), |(g, s), b| {
        (
            g.saturating_add(b.gross_fen),
            s.saturating_add(b.voucher_share_fen),
        )
    });
    let money = match (news, l) {
        (SeriesNews::Booked, Locale::En) => {
            format!(
                "Fees in all {}: your vouchers hold {}.",
                yuan(gross),
                yuan(share)
            )
        }
        (SeriesNews::Booked, Locale::ZhCn) => {
            format!("费用合计 {}，创新券冻结 {}。", yuan(gross), yuan(share))
        }
        (SeriesNews::Cancelled, Locale::En) => {
            "Voucher amounts held for the cancelled ones are released.".to_owned()
        }
        (SeriesNews::Cancelled, Locale::ZhCn) => "已取消场次冻结的创新券额度已释放。".to_owned(),
    };
    Letter {
        subject: format!("{subject}: {}", t(l, &view.row.name_en, &view.row.name_zh)),
        paragraphs: vec![lead.to_owned(), resource(l, view), list.join("\n"), money],
    }
}

/// Tells the booker of a series what became of it, and for waiting occurrences the deciders.
pub fn told(
    conn: &mut DbConnection,
    (series, news): (&str, SeriesNews),
    (booker, view): (i64, &ResourceView),
    lines: &[Line<'_>],
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let booked: Vec<BookingRow> = lines
        .iter()
        .filter_map(|x| x.outcome.ok().cloned())
        .collect();
    if booked.is_empty() && news == SeriesNews::Cancelled {
        return Ok(());
    }
    let stamp = at.and_utc().timestamp_millis();
    if let Some(to) = recipient(conn, booker)? {
        let env = Envelope {
            dedupe_key: format!("series:{series}:{news:?}:{stamp}:{}", to.id),
            kind: match news {
                SeriesNews::Booked => "series_booked",
                SeriesNews::Cancelled => "series_cancelled",
            },
            booking: booked.first().map(|b| b.id),
            ics: (!booked.is_empty()).then(|| {
                crate::booking::ics::bookings_ics(
                    &booked,
                    view,
                    crate::domain::ics::Method::Request,
                )
            }),
            at,
        };
        queue(conn, &to, &letter(news, to.locale, view, lines), env)?;
    }
    let waiting: Vec<&BookingRow> = booked
        .iter()
        .filter(|b| b.state == BookingState::Pending)
        .collect();
    if news == SeriesNews::Booked && !waiting.is_empty() {
        tell_deciders(conn, series, view, &waiting, at)?;
    }
    Ok(())
}

fn tell_deciders(
    conn: &mut DbConnection,
    series: &str,
    view: &ResourceView,
    waiting: &[&BookingRow],
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let tz = view.row.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    for id in deciders(conn, view)? {
        let Some(to) = recipient(conn, id)? else {
            continue;
        };
        let l = to.locale;
        let list: Vec<String> = waiting
            .iter()
            .map(|b| {
                let when = local_slot(b.start_at.and_utc(), b.end_at.and_utc(), tz);
                format!("- {when}: POST /api/v1/bookings/{}/approve", b.id)
            })
            .collect();
        let lead = t(
            l,
            "A weekly series waits for your decision, occurrence by occurrence:",
            "一个每周系列预约等待您逐次审批：",
        );
        let letter = Letter {
            subject: format!(
                "{}: {}",
                t(l, "New weekly series request", "新的每周系列预约申请"),
                t(l, &view.row.name_en, &view.row.name_zh)
            ),
            paragraphs: vec![lead.to_owned(), resource(l, view), list.join("\n")],
        };
        let env = Envelope {
            dedupe_key: format!("series:{series}:requested:{}", to.id),
            kind: "new_request",
            booking: waiting.first().map(|b| b.id),
            ics: None,
            at,
        };
        queue(conn, &to, &letter, env)?;
    }
    Ok(())
}
