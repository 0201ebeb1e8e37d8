//! What proposers hear of a beamtime call's allocation: one letter each, with the shifts they
//! were given in the facility's time, or why they were given none.

use chrono_tz::Tz;

use super::text::{Letter, t};
use super::{Envelope, queue, recipient};
use crate::beamtime::Shown;
use crate::db::DbConnection;
use crate::db::beamtime::CallRow;
use crate::db::beamtime::proposals::ProposalRow;
use crate::domain::types::Locale;
use crate::error::ServiceError;

/// Tells the proposer of `s` the decision on it; `given` is the reason the manager gave, if any.
pub fn decided(
    conn: &mut DbConnection,
    call: &CallRow,
    s: &Shown,
    (tz, given): (Tz, Option<&str>),
) -> Result<(), ServiceError> {
    let p = &s.proposal;
    let Some(r) = recipient(conn, p.proposer_id)? else {
        return Ok(());
    };
    let l = r.locale;
    let title = t(l, &call.title_en, &call.title_zh);
    let allocated = !s.shifts.is_empty();
    let subject = match (allocated, l) {
        (true, Locale::En) => format!("Beamtime allocated: {}", p.title),
        (true, Locale::ZhCn) => format!("机时已分配：{}", p.title),
        (false, Locale::En) => format!("Beamtime not allocated: {}", p.title),
        (false, Locale::ZhCn) => format!("机时未获分配：{}", p.title),
    };
    let mut paragraphs = vec![match l {
        Locale::En => format!("Proposal {} to the call \"{title}\".", p.id),
        Locale::ZhCn => format!("申请 {}，所属征集：“{title}”。", p.id),
    }];
    if allocated {
        paragraphs.push(match l {
            Locale::En => format!(
                "You were given {} of the {} shifts you asked for; each is a confirmed booking:",
                s.shifts.len(),
                p.shifts_requested
            ),
            Locale::ZhCn => format!(
                "您申请 {} 个机时段，获分配 {} 个，均已确认为预约：",
                p.shifts_requested,
                s.shifts.len()
            ),
        });
        for shift in &s.shifts {
            let local = |at: chrono::NaiveDateTime| {
                at.and_utc()
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            };
            paragraphs.push(format!(
                "{} – {} ({tz}), booking {}",
                local(shift.start_at),
                local(shift.end_at),
                shift.booking_id.unwrap_or_default()
            ));
        }
    }
    if let Some(why) = reason(l, s, given) {
        paragraphs.push(why);
    }
    let letter = Letter {
        subject,
        paragraphs,
    };
    let env = Envelope {
        dedupe_key: format!("beamtime:{}:decision:{}", p.id, r.id),
        kind: "beamtime",
        booking: None,
        ics: None,
        at: p.updated_at,
    };
    queue(conn, &r, &letter, env)?;
    Ok(())
}

/// The reason as the reader reads it: the manager's words, or where the proposal ranked.
fn reason(l: Locale, s: &Shown, given: Option<&str>) -> Option<String> {
    let stored = s.proposal.decision_reason.as_deref()?;
    let standing = s.standings.as_ref().filter(|_| given.is_none());
    Some(match (l, standing) {
        (Locale::ZhCn, Some(x)) => match x.score {
            Some(score) => format!(
                "未获分配的原因：本申请评审平均分 {score:.2}，排名第 {}；机时已分配给排名更靠前的申请。",
                x.rank
            ),
            None => "未获分配的原因：本申请未获评审打分，机时已分配给经评审的申请。".to_owned(),
        },
        (Locale::ZhCn, None) => format!("原因：{stored}"),
        (Locale::En, _) => format!("Reason: {stored}"),
    })
}

/// Which letter a reviewer gets: reviews are open, or the deadline is near.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Open,
    DueSoon,
}

/// Tells `reviewer` the proposals of `call` they are to score; false when that letter went
/// before (or the reviewer is no longer active).
pub fn to_review(
    conn: &mut DbConnection,
    call: &CallRow,
    (reviewer, proposals): (i64, &[&ProposalRow]),
    which: Review,
) -> Result<bool, ServiceError> {
    let Some(r) = recipient(conn, reviewer)? else {
        return Ok(false);
    };
    let l = r.locale;
    let title = t(l, &call.title_en, &call.title_zh);
    let due = call
        .reviews_due_at
        .and_utc()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M");
    let (subject, lead) = match (which, l) {
        (Review::Open, Locale::En) => (
            format!("Reviews open: {title}"),
            format!(
                "Please score the {} proposals below by {due} (China Standard Time), one score from 1 to 5 per criterion with a comment.",
                proposals.len()
            ),
        ),
        (Review::Open, Locale::ZhCn) => (
            format!("评审开始：{title}"),
            format!(
                "请在 {due}（北京时间）前评审以下 {} 份申请：每项评审标准打 1 到 5 分，并填写评语。",
                proposals.len()
            ),
        ),
        (Review::DueSoon, Locale::En) => (
            format!("Reviews due {due}: {title}"),
            format!(
                "{} proposals assigned to you have no score from you yet; the reviews close at {due} (China Standard Time).",
                proposals.len()
            ),
        ),
        (Review::DueSoon, Locale::ZhCn) => (
            format!("评审即将截止（{due}）：{title}"),
            format!(
                "分配给您的 {} 份申请尚未评分；评审于 {due}（北京时间）截止。",
                proposals.len()
            ),
        ),
    };
    let mut paragraphs = vec![lead];
    for p in proposals {
        paragraphs.push(format!(
            "{} {}: {} — PUT /api/v1/beam-proposals/{}/review",
            t(l, "Proposal", "申请"),
            p.id,
            p.title,
            p.id
        ));
    }
    let step = match which {
        Review::Open => "reviews-open",
        Review::DueSoon => "reviews-due",
    };
    let env = Envelope {
        dedupe_key: format!("beamtime:{}:{step}:{}", call.id, r.id),
        kind: "beamtime",
        booking: None,
        ics: None,
        at: call.closes_at,
    };
    let letter = Letter {
        subject,
        paragraphs,
    };
    queue(conn, &r, &letter, env)
}
