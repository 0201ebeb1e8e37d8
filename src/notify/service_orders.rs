//! What people hear about service orders: the lab's deciders of each new order, and the person
//! who ordered of every later step. Each message is keyed by the history step it tells, so a
//! step is told once.

use super::text::{Letter, t, yuan};
use super::{Envelope, queue, recipient};
use crate::db::DbConnection;
use crate::db::service_orders::OrderRow;
use crate::db::services::ServiceRow;
use crate::db::users;
use crate::domain::ids::OrganizationId;
use crate::domain::types::{Locale, OrderState, Role};
use crate::error::ServiceError;

/// The order in one paragraph: service, samples, price and what the voucher holds or paid.
fn facts(l: Locale, o: &OrderRow, s: &ServiceRow) -> String {
    let name = t(l, &s.name_en, &s.name_zh);
    let money = match (o.final_gross_fen, o.final_voucher_fen) {
        (Some(gross), Some(voucher)) => match l {
            Locale::En => format!(
                "Charged {} for {} samples measured; the voucher paid {}.",
                yuan(gross),
                o.samples_measured.unwrap_or(0),
                yuan(voucher)
            ),
            Locale::ZhCn => format!(
                "实测 {} 个样品，收费 {}，创新券支付 {}。",
                o.samples_measured.unwrap_or(0),
                yuan(gross),
                yuan(voucher)
            ),
        },
        _ => match l {
            Locale::En => format!(
                "{} samples at {} each: {}; voucher share held {}.",
                o.samples,
                yuan(o.price_fen),
                yuan(o.gross_fen),
                yuan(o.voucher_share_fen)
            ),
            Locale::ZhCn => format!(
                "{} 个样品，每个 {}，共 {}；创新券冻结 {}。",
                o.samples,
                yuan(o.price_fen),
                yuan(o.gross_fen),
                yuan(o.voucher_share_fen)
            ),
        },
    };
    match l {
        Locale::En => format!("Order {}: {name}. {money}", o.id),
        Locale::ZhCn => format!("订单 {}：{name}。{money}", o.id),
    }
}

/// What the step means for the reader.
fn lead(l: Locale, o: &OrderRow) -> String {
    let why = o.reason.clone().unwrap_or_default();
    match (o.state, l) {
        (OrderState::Submitted, Locale::En) => format!(
            "A new order. Accept it with POST /api/v1/service-orders/{}/accept or reject it with a reason.",
            o.id
        ),
        (OrderState::Submitted, Locale::ZhCn) => format!(
            "新的送样检测订单。接受：POST /api/v1/service-orders/{}/accept，或填写原因后拒绝。",
            o.id
        ),
        (OrderState::Accepted, l) => t(
            l,
            "The lab accepted your order. Please send the samples.",
            "实验室已接受您的订单，请寄送样品。",
        )
        .to_owned(),
        (OrderState::SamplesReceived, Locale::En) => format!(
            "The lab received your samples. The report is due by {}.",
            o.due_on.map(|d| d.to_string()).unwrap_or_default()
        ),
        (OrderState::SamplesReceived, Locale::ZhCn) => format!(
            "实验室已收到样品，报告预计 {} 前出具。",
            o.due_on.map(|d| d.to_string()).unwrap_or_default()
        ),
        (OrderState::InProgress, l) => t(
            l,
            "The lab is measuring your samples.",
            "实验室正在检测您的样品。",
        )
        .to_owned(),
        (OrderState::ReportDelivered, Locale::En) => format!(
            "Your report is ready: GET /api/v1/service-orders/{}/report.",
            o.id
        ),
        (OrderState::ReportDelivered, Locale::ZhCn) => format!(
            "检测报告已出具：GET /api/v1/service-orders/{}/report。",
            o.id
        ),
        (OrderState::Rejected, Locale::En) => format!("The lab declined your order. Reason: {why}"),
        (OrderState::Rejected, Locale::ZhCn) => format!("实验室未接受您的订单。原因：{why}"),
        (OrderState::Cancelled, Locale::En) => format!("The order was cancelled. Reason: {why}"),
        (OrderState::Cancelled, Locale::ZhCn) => format!("订单已取消。原因：{why}"),
    }
}

fn subject(l: Locale, o: &OrderRow, s: &ServiceRow) -> String {
    let what = match o.state {
        OrderState::Submitted => t(l, "New service order", "新的送样检测订单"),
        OrderState::Accepted => t(l, "Order accepted", "订单已接受"),
        OrderState::SamplesReceived => t(l, "Samples received", "样品已收到"),
        OrderState::InProgress => t(l, "Measuring", "检测中"),
        OrderState::ReportDelivered => t(l, "Report delivered", "报告已出具"),
        OrderState::Rejected => t(l, "Order declined", "订单未被接受"),
        OrderState::Cancelled => t(l, "Order cancelled", "订单已取消"),
    };
    format!("{what}: {}", t(l, &s.name_en, &s.name_zh))
}

/// Who hears of a new order: the service's operators and managers.
fn lab(conn: &mut DbConnection, s: &ServiceRow) -> Result<Vec<i64>, ServiceError> {
    let filter = users::UserFilter {
        organization_id: Some(OrganizationId(s.organization_id)),
        role: Some(Role::Manager.as_str().to_owned()),
    };
    let mut to: Vec<i64> = users::list(conn, &filter, None, 100)?
        .into_iter()
        .map(|u| u.id)
        .collect();
    if let Some(r) = s.resource_id {
        let view = crate::db::resources::find(conn, crate::domain::ids::ResourceId(r))?;
        to.extend(view.into_iter().flat_map(|v| v.operator_ids));
    }
    to.sort_unstable();
    to.dedup();
    Ok(to)
}

/// Tells a step of an order: a new one to the lab, every later one to whoever ordered it.
pub fn stepped(
    conn: &mut DbConnection,
    (o, s): (&OrderRow, &ServiceRow),
    step: i64,
) -> Result<(), ServiceError> {
    let to = match o.state {
        OrderState::Submitted => lab(conn, s)?,
        _ => vec![o.requester_id],
    };
    for id in to {
        let Some(r) = recipient(conn, id)? else {
            continue;
        };
        let l = r.locale;
        let letter = Letter {
            subject: subject(l, o, s),
            paragraphs: vec![lead(l, o), facts(l, o, s)],
        };
        let env = Envelope {
            dedupe_key: format!("service-order:{}:{step}:{}", o.id, r.id),
            kind: "service_order",
            booking: None,
            ics: None,
            at: o.updated_at,
        };
        queue(conn, &r, &letter, env)?;
    }
    Ok(())
}
