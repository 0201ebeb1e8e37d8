//! The operators' daily digest: every pending request of the resources each operator (or, where a
//! resource has none, each manager) decides on, oldest first, with requests that compete for the
//! same time grouped together. One digest per person and day, whoever runs the job.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::db::bookings::BookingRow;
use crate::db::{Db, DbConnection, resources};
use crate::domain::availability::Instant;
use crate::domain::ids::ResourceId;
use crate::domain::types::Locale;
use crate::error::ServiceError;
use crate::notify::text::{Letter, local_slot, t};
use crate::notify::{Envelope, deciders, queue, recipient};

/// Pending requests on one resource, in groups that overlap in time, each group oldest first.
fn competing(mut pending: Vec<BookingRow>) -> Vec<Vec<BookingRow>> {
    pending.sort_by_key(|p| p.block_start);
    let mut groups: Vec<Vec<BookingRow>> = Vec::new();
    for p in pending {
        match groups.last_mut() {
            Some(g) if g.iter().any(|o| o.block_end > p.block_start) => g.push(p),
            _ => groups.push(vec![p]),
        }
    }
    for g in &mut groups {
        g.sort_by_key(|p| p.created_at);
    }
    groups.sort_by_key(|g| g[0].created_at);
    groups
}

/// One resource's section of a digest.
fn section(
    l: crate::domain::types::Locale,
    name: &str,
    tz: chrono_tz::Tz,
    groups: &[Vec<BookingRow>],
) -> String {
    let mut out = format!("{name}:");
    for g in groups {
        for (i, p) in g.iter().enumerate() {
            let slot = local_slot(p.start_at.and_utc(), p.end_at.and_utc(), tz);
            let competes = if i > 0 {
                t(
                    l,
                    "  (competes with the request above)",
                    "（与上一条申请冲突）",
                )
            } else {
                ""
            };
            out.push_str(&format!("\n  #{} {slot}{competes}", p.id));
        }
    }
    out
}

/// Queues today's digests at `now`; returns how many were queued.
pub fn run(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    db.write_blocking(|conn| queue_digests(conn, now))
}

/// A section of one person's digest: when its oldest request came, in English and in Chinese.
type Section = (chrono::NaiveDateTime, String, String);

fn queue_digests(conn: &mut DbConnection, now: Instant) -> Result<usize, ServiceError> {
    let day = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let mut queued = 0;
    for (person, sections) in sections_by_person(conn)? {
        let Some(to) = recipient(conn, person)? else {
            continue;
        };
        let env = Envelope {
            dedupe_key: format!("digest:{person}:{day}"),
            kind: "operator_digest",
            booking: None,
            ics: None,
            at: now.naive_utc(),
        };
        queued += usize::from(queue(conn, &to, &digest(to.locale, day, sections), env)?);
    }
    Ok(queued)
}

/// Each decider's sections, one per resource with pending requests.
fn sections_by_person(
    conn: &mut DbConnection,
) -> Result<BTreeMap<i64, Vec<Section>>, ServiceError> {
    let mut by_resource: BTreeMap<i64, Vec<BookingRow>> = BTreeMap::new();
    for p in crate::db::due::pending(conn, 5_000)? {
        by_resource.entry(p.resource_id).or_default().push(p);
    }
    let mut by_person: BTreeMap<i64, Vec<Section>> = BTreeMap::new();
    for (resource, requests) in by_resource {
        let Some(view) = resources::find(conn, ResourceId(resource))? else {
            continue;
        };
        let tz: chrono_tz::Tz = view.row.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
        let groups = competing(requests);
        let oldest = groups[0][0].created_at;
        let en = section(Locale::En, &view.row.name_en, tz, &groups);
        let zh = section(Locale::ZhCn, &view.row.name_zh, tz, &groups);
        for person in deciders(conn, &view)? {
            let entry = (oldest, en.clone(), zh.clone());
            by_person.entry(person).or_default().push(entry);
        }
    }
    Ok(by_person)
}

/// One person's digest for `day`: sections in the order of each resource's oldest request.
fn digest(locale: Locale, day: NaiveDate, mut sections: Vec<Section>) -> Letter {
    sections.sort_by_key(|s| s.0);
    let count: usize = sections.iter().map(|s| s.1.matches("\n  #").count()).sum();
    let lead = match locale {
        Locale::En => format!("{count} requests wait for your decision, oldest first."),
        Locale::ZhCn => format!("有 {count} 条预约申请等待您审批，按提交时间排列。"),
    };
    let mut paragraphs = vec![lead];
    paragraphs.extend(sections.into_iter().map(|(_, en, zh)| match locale {
        Locale::En => en,
        Locale::ZhCn => zh,
    }));
    Letter {
        subject: format!(
            "{} {}-{:02}-{:02}",
            t(locale, "Pending requests,", "待审批预约"),
            day.year(),
            day.month(),
            day.day()
        ),
        paragraphs,
    }
}
