//! The letter for each kind of message, in the recipient's language.

use chrono_tz::Tz;

use super::text::{Letter, local_slot, t, yuan};
use crate::db::bookings::BookingRow;
use crate::db::resources::ResourceView;
use crate::domain::types::{Locale, Movement};

/// What happened to a booking, as its booker hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingNews {
    Received,
    Confirmed,
    Waitlisted,
    Rejected,
    Cancelled,
    Promoted,
    Expired,
    Assisted,
    BlackedOut,
    Reminder,
}

impl BookingNews {
    pub fn kind(self) -> &'static str {
        match self {
            BookingNews::Received => "booking_received",
            BookingNews::Confirmed => "booking_confirmed",
            BookingNews::Waitlisted => "booking_waitlisted",
            BookingNews::Rejected => "booking_rejected",
            BookingNews::Cancelled => "booking_cancelled",
            BookingNews::Promoted => "booking_promoted",
            BookingNews::Expired => "booking_expired",
            BookingNews::Assisted => "booking_assisted",
            BookingNews::BlackedOut => "booking_blacked_out",
            BookingNews::Reminder => "booking_reminder",
        }
    }

    /// True when the message carries the booking's calendar entry: each step that adds it to a
    /// calendar, changes it, or takes it out.
    pub fn updates_calendar(self) -> bool {
        use BookingNews::*;
        matches!(
            self,
            Received | Confirmed | Promoted | Rejected | Cancelled | Expired
        )
    }
}

/// The booking as one line: resource, institution and slot in the resource's zone.
pub struct About<'a> {
    pub booking: &'a BookingRow,
    pub view: &'a ResourceView,
}

impl About<'_> {
    fn tz(&self) -> Tz {
        self.view.row.timezone.parse().unwrap_or(Tz::UTC)
    }

    fn resource(&self, l: Locale) -> String {
        let r = &self.view.row;
        let inst = t(l, &self.view.institution_en, &self.view.institution_zh);
        format!("{} ({inst})", t(l, &r.name_en, &r.name_zh))
    }

    fn slot(&self) -> String {
        let b = self.booking;
        local_slot(b.start_at.and_utc(), b.end_at.and_utc(), self.tz())
    }

    fn money(&self, l: Locale) -> String {
        let b = self.booking;
        let gross = yuan(b.gross_fen);
        let co = yuan(b.gross_fen - b.voucher_share_fen);
        if b.voucher_id.is_some() {
            let share = yuan(b.voucher_share_fen);
            match l {
                Locale::En => format!("Fee {gross}: your voucher covers {share}, you pay {co}."),
                Locale::ZhCn => format!("费用 {gross}：创新券支付 {share}，您支付 {co}。"),
            }
        } else {
            match l {
                Locale::En => format!("Fee {gross}."),
                Locale::ZhCn => format!("费用 {gross}。"),
            }
        }
    }

    /// The facts every booking letter carries.
    fn facts(&self, l: Locale) -> String {
        let b = self.booking;
        match l {
            Locale::En => format!(
                "Booking {}: {}\nWhen: {}\nPurpose: {}\n{}",
                b.id,
                self.resource(l),
                self.slot(),
                b.purpose,
                self.money(l)
            ),
            Locale::ZhCn => format!(
                "预约 {}：{}\n时间：{}\n用途：{}\n{}",
                b.id,
                self.resource(l),
                self.slot(),
                b.purpose,
                self.money(l)
            ),
        }
    }
}

impl BookingNews {
    /// The subject and the opening line, in English and in Chinese.
    fn wording(self) -> (&'static str, &'static str, &'static str, &'static str) {
        use BookingNews::*;
        match self {
            Received => (
                "Booking request received",
                "预约申请已收到",
                "Your request waits for the operator's decision.",
                "您的预约申请正在等待管理员审批。",
            ),
            Confirmed => (
                "Booking confirmed",
                "预约已确认",
                "Your booking is confirmed. The calendar entry is attached.",
                "您的预约已确认，日历文件见附件。",
            ),
            Waitlisted => (
                "On the waitlist",
                "已进入候补",
                "The slot is taken; you are on the waitlist and will hear from us if it frees.",
                "该时段已被占用，您已进入候补名单，时段空出时会通知您。",
            ),
            Rejected => (
                "Booking request rejected",
                "预约申请未获批准",
                "Your request was not approved.",
                "您的预约申请未获批准。",
            ),
            Cancelled => (
                "Booking cancelled",
                "预约已取消",
                "This booking is cancelled.",
                "该预约已取消。",
            ),
            Promoted => (
                "Moved off the waitlist",
                "候补已转正",
                "Space became free: your request moved off the waitlist.",
                "时段已空出，您的候补申请已转为正式预约。",
            ),
            Expired => (
                "Booking request expired",
                "预约申请已过期",
                "Your request expired without taking place.",
                "您的预约申请已过期。",
            ),
            Assisted => (
                "An operator will run your booking with you",
                "预约改为由操作员协助",
                "No qualification of yours covers this booking to its end any more, so an operator of the resource will run it with you.",
                "您的操作资格已不能覆盖该预约的全部时段，届时将由该仪器的操作员协助您完成。",
            ),
            BlackedOut => (
                "A blackout covers the slot you asked for",
                "您申请的时段已停用",
                "The resource is closed (a blackout) over the slot your request waits for, so it cannot be confirmed as it stands. You may cancel it and book another slot.",
                "该仪器在您申请的时段内停用，该申请目前无法获批。您可以取消该申请并预约其他时段。",
            ),
            Reminder => (
                "Reminder",
                "预约提醒",
                "A reminder of your booking.",
                "提醒您即将开始的预约。",
            ),
        }
    }
}

/// The letter to a booker about their booking.
pub fn to_booker(news: BookingNews, l: Locale, about: &About<'_>, detail: Option<&str>) -> Letter {
    let name = t(l, &about.view.row.name_en, &about.view.row.name_zh).to_owned();
    let (subject_en, subject_zh, lead_en, lead_zh) = news.wording();
    let mut paragraphs = vec![t(l, lead_en, lead_zh).to_owned(), about.facts(l)];
    if let Some(d) = detail {
        paragraphs.push(d.to_owned());
    }
    Letter {
        subject: format!("{}: {name}", t(l, subject_en, subject_zh)),
        paragraphs,
    }
}

/// The letter to an operator about a new request for a resource they run.
pub fn new_request(l: Locale, about: &About<'_>, organisation: &str) -> Letter {
    let name = t(l, &about.view.row.name_en, &about.view.row.name_zh).to_owned();
    let id = about.booking.id;
    let lead = match l {
        Locale::En => format!(
            "{organisation} asks to book {name}. Approve with POST /api/v1/bookings/{id}/approve or reject with a reason."
        ),
        Locale::ZhCn => format!(
            "{organisation} 申请预约 {name}。审批：POST /api/v1/bookings/{id}/approve，或填写原因后驳回。"
        ),
    };
    Letter {
        subject: format!("{}: {name}", t(l, "New booking request", "新的预约申请")),
        paragraphs: vec![lead, about.facts(l)],
    }
}

/// A voucher movement for a booking, as a receipt.
pub fn voucher_receipt(
    l: Locale,
    movement: Movement,
    amount: i64,
    program: &str,
    booking: i64,
) -> Letter {
    let money = yuan(amount);
    let (subject, line) = match (movement, l) {
        (Movement::Hold, Locale::En) => (
            "Voucher amount held",
            format!("{money} of your voucher {program} is held for booking {booking}."),
        ),
        (Movement::Hold, Locale::ZhCn) => (
            "创新券额度已冻结",
            format!("创新券 {program} 已为预约 {booking} 冻结 {money}。"),
        ),
        (Movement::Capture, Locale::En) => (
            "Voucher amount paid",
            format!("{money} of your voucher {program} paid for booking {booking}."),
        ),
        (Movement::Capture, Locale::ZhCn) => (
            "创新券已支付",
            format!("创新券 {program} 已为预约 {booking} 支付 {money}。"),
        ),
        (_, Locale::En) => (
            "Voucher amount released",
            format!(
                "{money} held on your voucher {program} for booking {booking} is available again."
            ),
        ),
        (_, Locale::ZhCn) => (
            "创新券额度已释放",
            format!("创新券 {program} 为预约 {booking} 冻结的 {money} 已释放。"),
        ),
    };
    Letter {
        subject: format!("{subject}: {program}"),
        paragraphs: vec![line],
    }
}
