//! Expires what is left on vouchers past their expiry, in bounded batches. Held money stays held
//! for its bookings and expires when released.

use crate::booking::payment;
use crate::db::Db;
use crate::db::vouchers as store;
use crate::domain::availability::Instant;
use crate::domain::ids::VoucherId;
use crate::error::ServiceError;
use crate::vouchers::shanghai_year;

/// How many vouchers one run expires at most.
pub const BATCH: i64 = 200;

/// Expires the unused balance of vouchers past their expiry; returns how many it expired. Each
/// voucher in its own transaction under the enterprise's voucher lock, so a booking using it
/// either sees the expiry or finishes first.
pub fn run(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    let at = now.naive_utc();
    let due = db
        .read_blocking(|conn| store::due_for_expiry(conn, at, BATCH).map_err(ServiceError::from))?;
    let mut done = 0;
    for voucher in due {
        let expired = db.write_blocking(|conn| -> Result<bool, ServiceError> {
            payment::lock_vouchers(conn, voucher)?;
            let rows = store::ledger_rows(conn, voucher)?;
            let mut ledger = store::ledger(&rows);
            // Another server may have expired it since the batch was read.
            if ledger.expired() {
                return Ok(false);
            }
            let entry = ledger.expire().map_err(ServiceError::internal)?.clone();
            let line = store::Line {
                voucher,
                entry: &entry,
                reverses_id: None,
                actor: None,
                reason: Some("the voucher expired"),
                year: shanghai_year(at),
                at,
            };
            store::append(conn, &line)?;
            Ok(true)
        })?;
        done += usize::from(expired);
    }
    Ok(done)
}

/// How long before a voucher's expiry its holders are told.
pub const WARN_DAYS: i64 = 30;

/// Tells the bookers of each enterprise whose active voucher expires within [`WARN_DAYS`] with
/// money left on it; once per voucher and person. Returns how many messages were queued.
pub fn warn_expiring(db: &Db, now: Instant) -> Result<usize, ServiceError> {
    use crate::db::users::{self, UserFilter};
    use crate::domain::ids::OrganizationId;
    use crate::notify::{Envelope, queue, recipient, text};
    let at = now.naive_utc();
    db.write_blocking(|conn| {
        let window = (at, at + chrono::Duration::days(WARN_DAYS));
        let soon = crate::db::due::expiring_vouchers(conn, window, BATCH)?;
        let mut queued = 0;
        for id in soon {
            let Some(loaded) = crate::vouchers::load(conn, VoucherId(id), at)? else {
                continue;
            };
            if loaded.balance.available <= 0 {
                continue;
            }
            let filter = UserFilter {
                organization_id: Some(OrganizationId(loaded.voucher.enterprise_id)),
                role: Some("booker".into()),
            };
            for user in users::list(conn, &filter, None, 100)? {
                let Some(to) = recipient(conn, user.id)? else {
                    continue;
                };
                let (code, left) = (&loaded.program.code, text::yuan(loaded.balance.available));
                let day = loaded.voucher.expires_at.and_utc().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
                let letter = text::Letter {
                    subject: format!("{}: {code}", text::t(to.locale, "Voucher expiring soon", "创新券即将到期")),
                    paragraphs: vec![match to.locale {
                        crate::domain::types::Locale::En => format!("Your voucher {code} expires on {day} with {left} unused. Unused money expires with it."),
                        crate::domain::types::Locale::ZhCn => format!("您的创新券 {code} 将于 {day} 到期，尚有 {left} 未使用，到期后余额作废。"),
                    }],
                };
                let env = Envelope {
                    dedupe_key: format!("voucher-expiring:{id}:{}", to.id),
                    kind: "voucher_expiring",
                    booking: None,
                    ics: None,
                    at,
                };
                queued += usize::from(queue(conn, &to, &letter, env)?);
            }
        }
        Ok(queued)
    })
}
