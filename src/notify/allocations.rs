//! What people hear about computing allocations: operators of each new request, the requester
//! of the decision, and both when use reaches 80 % and 100 % of the allocation. Each message is
//! keyed by (allocation, event, recipient), so a threshold is announced once however many
//! imports cross it.

use chrono::NaiveDateTime;

use super::text::{Letter, t, yuan};
use super::{Envelope, deciders, queue, recipient};
use crate::db::DbConnection;
use crate::db::allocations::AllocationRow;
use crate::db::resources::ResourceView;
use crate::domain::types::AllocationState;
use crate::domain::types::Locale;
use crate::error::ServiceError;

/// The resource and its institution, in the recipient's language.
pub(super) fn resource(l: Locale, view: &ResourceView) -> String {
    let r = &view.row;
    format!(
        "{} ({})",
        t(l, &r.name_en, &r.name_zh),
        t(l, &view.institution_en, &view.institution_zh)
    )
}

/// The allocation in one paragraph: project, account, amount, period, price.
fn facts(l: Locale, a: &AllocationRow, view: &ResourceView) -> String {
    let hours = a.granted_unit_hours.unwrap_or(a.requested_unit_hours);
    let unit = &view.row.unit;
    // Approved allocations were priced, so their fee fits.
    let price =
        yuan(crate::domain::money::gross_fee(a.rate_fen, 1, hours * 60).unwrap_or_default());
    match l {
        Locale::En => format!(
            "Allocation {}: project \"{}\", account {}, {hours} {unit}-hours on {} from {} to {}, {price} at {} per {unit}-hour.",
            a.id,
            a.project,
            a.account,
            resource(l, view),
            a.starts_on,
            a.ends_on,
            yuan(a.rate_fen)
        ),
        Locale::ZhCn => format!(
            "配额 {}：项目“{}”，账户 {}，{} 上 {hours} {unit}·时，{} 至 {}，{price}（每 {unit}·时 {}）。",
            a.id,
            a.project,
            a.account,
            resource(l, view),
            a.starts_on,
            a.ends_on,
            yuan(a.rate_fen)
        ),
    }
}

fn send(
    conn: &mut DbConnection,
    to_ids: &[i64],
    (a, event, at): (&AllocationRow, &str, NaiveDateTime),
    letter: impl Fn(Locale) -> Letter,
) -> Result<(), ServiceError> {
    for id in to_ids {
        let Some(to) = recipient(conn, *id)? else {
            continue;
        };
        let env = Envelope {
            dedupe_key: format!("allocation:{}:{event}:{}", a.id, to.id),
            kind: "allocation",
            booking: None,
            ics: None,
            at,
        };
        queue(conn, &to, &letter(to.locale), env)?;
    }
    Ok(())
}

/// Tells the resource's deciders about a new request.
pub fn requested(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
) -> Result<(), ServiceError> {
    let org = super::super::allocations::organisation_name(conn, a.organization_id)?;
    let to = deciders(conn, view)?;
    send(conn, &to, (a, "requested", a.created_at), |l| Letter {
        subject: format!(
            "{}: {}",
            t(l, "New allocation request", "新的机时配额申请"),
            a.project
        ),
        paragraphs: vec![
            match l {
                Locale::En => format!(
                    "{org} asks for computing time. Approve (possibly for less) with POST /api/v1/allocations/{}/approve or reject with a reason.",
                    a.id
                ),
                Locale::ZhCn => format!(
                    "{org} 申请机时配额。审批（可少于申请量）：POST /api/v1/allocations/{}/approve，或填写原因后驳回。",
                    a.id
                ),
            },
            facts(l, a, view),
        ],
    })
}

/// Tells the requester the decision.
pub fn decided(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
) -> Result<(), ServiceError> {
    let at = a.decided_at.unwrap_or(a.updated_at);
    send(conn, &[a.requester_id], (a, a.state.as_str(), at), |l| {
        let (subject, lead) = if a.state == AllocationState::Approved {
            let held = match a.voucher_share_fen {
                0 => String::new(),
                fen => format!(
                    "{} {}",
                    t(l, "Voucher share held:", "创新券冻结额度："),
                    yuan(fen)
                ),
            };
            (t(l, "Allocation approved", "机时配额已批准"), held)
        } else {
            let why = a.reason.clone().unwrap_or_default();
            let lead = format!("{} {why}", t(l, "Reason:", "原因："));
            (t(l, "Allocation rejected", "机时配额未获批准"), lead)
        };
        let mut paragraphs = vec![facts(l, a, view)];
        if !lead.is_empty() {
            paragraphs.push(lead);
        }
        Letter {
            subject: format!("{subject}: {}", a.project),
            paragraphs,
        }
    })
}

/// Tells the requester and the deciders that use has reached `level` percent.
pub fn threshold(
    conn: &mut DbConnection,
    a: &AllocationRow,
    view: &ResourceView,
    level: i64,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let mut to = vec![a.requester_id];
    to.extend(deciders(conn, view)?);
    to.sort_unstable();
    to.dedup();
    let event = format!("used-{level}");
    send(conn, &to, (a, &event, at), |l| {
        let lead = match (level >= 100, l) {
            (true, Locale::En) => "The allocation is used up. Further jobs are still recorded, as overage charged at the same rate and not paid by a voucher.".to_owned(),
            (true, Locale::ZhCn) => "配额已用完。之后的作业仍会记录为超额使用，按同一单价计费，创新券不予支付。".to_owned(),
            (false, Locale::En) => format!("{level}% of the allocation has been used."),
            (false, Locale::ZhCn) => format!("配额已使用 {level}%。"),
        };
        Letter {
            subject: format!(
                "{} {level}%: {}",
                t(l, "Allocation used", "机时配额已使用"),
                a.project
            ),
            paragraphs: vec![lead, facts(l, a, view)],
        }
    })
}
