//! Who hears about what. Each booking step and voucher movement queues its messages in the outbox
//! in the same transaction as the change, one per recipient under a stable dedupe key, so a retried
//! or repeated event never queues a second message and a rolled-back change queues none.

pub mod allocations;
pub mod beamtime;
pub mod letters;
pub mod series;
pub mod service_orders;
pub mod text;
pub mod webhooks;

use chrono::NaiveDateTime;

use crate::db::bookings::{self, BookingRow};
use crate::db::outbox::{self, NewMessage};
use crate::db::resources::{self, ResourceView};
use crate::db::{DbConnection, organizations, users};
use crate::domain::ids::{BookingId, OrganizationId, ResourceId, UserId};
use crate::domain::types::{BookingState, Locale, Role};
use crate::domain::types::{MessageStatus, Movement};
use crate::error::ServiceError;
use letters::{About, BookingNews};
use text::Letter;

/// Someone a message goes to.
pub struct Recipient {
    pub id: i64,
    pub email: String,
    pub locale: Locale,
}

pub fn recipient(conn: &mut DbConnection, id: i64) -> Result<Option<Recipient>, ServiceError> {
    Ok(users::find(conn, UserId(id))?
        .filter(|u| u.active)
        .map(|u| Recipient {
            id: u.id,
            email: u.email,
            locale: Locale::of_user(&u.locale),
        }))
}

/// What to queue besides the letter itself.
pub struct Envelope<'a> {
    pub dedupe_key: String,
    pub kind: &'a str,
    pub booking: Option<i64>,
    pub ics: Option<String>,
    pub at: NaiveDateTime,
}

/// Queues one letter to one recipient; nothing when its dedupe key was queued before.
pub fn queue(
    conn: &mut DbConnection,
    to: &Recipient,
    letter: &Letter,
    env: Envelope<'_>,
) -> Result<bool, ServiceError> {
    let m = NewMessage {
        dedupe_key: env.dedupe_key,
        kind: env.kind.to_owned(),
        user_id: Some(to.id),
        to_address: to.email.clone(),
        locale: to.locale.as_str().to_owned(),
        subject: letter.subject.clone(),
        text_body: letter.text(),
        html_body: letter.html(),
        ics: env.ics,
        booking_id: env.booking,
        status: MessageStatus::Pending,
        next_attempt_at: env.at,
        created_at: env.at,
        message_key: uuid::Uuid::new_v4().simple().to_string(),
    };
    Ok(outbox::enqueue(conn, &m)?)
}

/// What a booker hears of a step, if anything.
fn news_of(event: &str, to: BookingState) -> Option<BookingNews> {
    use BookingNews::*;
    Some(match (event, to) {
        ("requested", BookingState::Confirmed) | ("approved", _) => Confirmed,
        ("requested", BookingState::Pending) => Received,
        ("requested" | "competitor_approved", BookingState::Waitlisted) => Waitlisted,
        ("rejected" | "competitor_approved", BookingState::Rejected) => Rejected,
        ("cancelled" | "cancelled_by_staff" | "cancelled_for_blackout", _) => Cancelled,
        ("promoted_from_waitlist", _) => Promoted,
        ("expired", _) => Expired,
        ("operation_assisted", _) => Assisted,
        ("blackout_over_request", _) => BlackedOut,
        _ => return None,
    })
}

/// True when a booking's step is told to anyone.
pub fn tells(event: &str, to: BookingState) -> bool {
    news_of(event, to).is_some()
}

/// One step of a booking's history, as recorded.
pub struct Step<'a> {
    pub event_id: i64,
    pub booking: i64,
    pub event: &'a str,
    pub to: BookingState,
    pub actor: Option<UserId>,
    pub reason: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// Queues the messages a booking's step causes: to its booker, and for a new request to the
/// resource's operators (or, if it has none, its institution's managers).
pub fn booking_step(
    conn: &mut DbConnection,
    step: &Step<'_>,
    known: Option<(&BookingRow, &ResourceView)>,
) -> Result<(), ServiceError> {
    let Some(news) = news_of(step.event, step.to) else {
        return Ok(());
    };
    let loaded;
    let (booking, view) = match known {
        Some(k) => k,
        None => {
            let b = bookings::find(conn, BookingId(step.booking))?
                .ok_or_else(|| ServiceError::internal("booking vanished"))?;
            let v = resources::find(conn, ResourceId(b.resource_id))?
                .ok_or_else(|| ServiceError::internal("resource vanished"))?;
            loaded = (b, v);
            (&loaded.0, &loaded.1)
        }
    };
    if step.event == "requested" && booking.series_id.is_some() {
        // A new series is told in one message for all its occurrences (`series`).
        return Ok(());
    }
    let about = About { booking, view };
    if let Some(to) = recipient(conn, booking.booker_id)? {
        let mut detail = detail(conn, step, booking, to.locale)?;
        if news == BookingNews::Rejected {
            let offers = offers(conn, booking, to.locale, step.at)?;
            detail = Some(
                [detail.unwrap_or_default(), offers]
                    .join("\n\n")
                    .trim()
                    .to_owned(),
            );
        }
        let letter = letters::to_booker(news, to.locale, &about, detail.as_deref());
        let ics = news.updates_calendar().then(|| entry(booking, view));
        let env = Envelope {
            dedupe_key: format!("booking-event:{}:{}", step.event_id, to.id),
            kind: news.kind(),
            booking: Some(booking.id),
            ics,
            at: step.at,
        };
        queue(conn, &to, &letter, env)?;
    }
    let now_pending = news == BookingNews::Promoted && booking.state == BookingState::Pending;
    if news == BookingNews::Received || now_pending {
        tell_operators(conn, step, &about)?;
    }
    Ok(())
}

/// The booking's calendar entry as it now stands: added or updated while it is to happen,
/// removed once it will not, under the same UID and a higher SEQUENCE each time.
fn entry(booking: &BookingRow, view: &ResourceView) -> String {
    let method = crate::booking::ics::method_for(booking.state);
    crate::booking::ics::bookings_ics(std::slice::from_ref(booking), view, method)
}

/// Who did it and why, for cancellations, rejections and expiries.
fn detail(
    conn: &mut DbConnection,
    step: &Step<'_>,
    booking: &BookingRow,
    l: Locale,
) -> Result<Option<String>, ServiceError> {
    let Some(reason) = step.reason else {
        return Ok(None);
    };
    let by = match step.actor {
        Some(a) if a.0 == booking.booker_id => text::t(l, "you", "您本人").to_owned(),
        Some(a) => users::find(conn, a)?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        None => text::t(l, "the system", "系统").to_owned(),
    };
    Ok(Some(match l {
        Locale::En => format!("By {by}. Reason: {reason}"),
        Locale::ZhCn => format!("操作人：{by}。原因：{reason}"),
    }))
}

/// The people who decide on a resource's requests.
pub fn deciders(conn: &mut DbConnection, view: &ResourceView) -> Result<Vec<i64>, ServiceError> {
    if !view.operator_ids.is_empty() {
        return Ok(view.operator_ids.clone());
    }
    let filter = users::UserFilter {
        organization_id: Some(OrganizationId(view.row.organization_id)),
        role: Some(Role::Manager.as_str().to_owned()),
    };
    Ok(users::list(conn, &filter, None, 100)?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

fn tell_operators(
    conn: &mut DbConnection,
    step: &Step<'_>,
    about: &About<'_>,
) -> Result<(), ServiceError> {
    let org = organizations::find(conn, OrganizationId(about.booking.organization_id))?
        .map(|o| o.name_en)
        .unwrap_or_default();
    for id in deciders(conn, about.view)? {
        let Some(to) = recipient(conn, id)? else {
            continue;
        };
        let letter = letters::new_request(to.locale, about, &org);
        let env = Envelope {
            dedupe_key: format!("booking-event:{}:{}", step.event_id, to.id),
            kind: "new_request",
            booking: Some(about.booking.id),
            ics: None,
            at: step.at,
        };
        queue(conn, &to, &letter, env)?;
    }
    Ok(())
}

/// A receipt to the booker for a voucher movement on their booking, keyed by the ledger line.
pub fn voucher_movement(
    conn: &mut DbConnection,
    line_id: i64,
    movement: Movement,
    amount: i64,
    program: &str,
    booking: &BookingRow,
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let Some(to) = recipient(conn, booking.booker_id)? else {
        return Ok(());
    };
    let letter = letters::voucher_receipt(to.locale, movement, amount, program, booking.id);
    let env = Envelope {
        dedupe_key: format!("ledger:{line_id}:{}", to.id),
        kind: "voucher_receipt",
        booking: Some(booking.id),
        ics: None,
        at,
    };
    queue(conn, &to, &letter, env)?;
    Ok(())
}

/// Free slots like the refused one: nearest on the same resource, the same time elsewhere.
fn offers(
    conn: &mut DbConnection,
    booking: &BookingRow,
    l: Locale,
    at: NaiveDateTime,
) -> Result<String, ServiceError> {
    let wanted = crate::domain::availability::Span::new(
        booking.start_at.and_utc(),
        booking.end_at.and_utc(),
    );
    let found = crate::booking::alternatives::alternatives(
        conn,
        ResourceId(booking.resource_id),
        wanted,
        booking.quantity,
        at.and_utc(),
    )?;
    if found.is_empty() {
        return Ok(String::new());
    }
    let mut out = text::t(l, "Free alternatives:", "可选的空闲时段：").to_owned();
    for offer in found {
        let r = &offer.view.row;
        let slot = text::local_slot(offer.span.start, offer.span.end, offer.tz);
        out.push_str(&format!(
            "\n- {}, {slot}",
            text::t(l, &r.name_en, &r.name_zh)
        ));
    }
    Ok(out)
}
