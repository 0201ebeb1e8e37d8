//! Bookings as a page lists them: on the resource's clock with its zone named, money in yuan,
//! names and states in the reader's language.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::chrome::{label, local, span, yuan};
use crate::db::DbConnection;
use crate::db::bookings::BookingRow;
use crate::domain::types::{BookingState, Locale};
use crate::error::ServiceError;

/// Names (en, zh) and zone of the resources on a page.
pub type Labels = HashMap<i64, (String, String, String)>;

pub fn labels_of(conn: &mut DbConnection, rows: &[&BookingRow]) -> Result<Labels, ServiceError> {
    let ids = rows.iter().map(|r| r.resource_id).collect();
    Ok(crate::db::resources::labels(conn, ids)?)
}

/// A resource's name in the reader's language.
pub fn name(locale: Locale, en: &str, zh: &str) -> String {
    match locale {
        Locale::ZhCn if !zh.is_empty() => zh.to_owned(),
        _ => en.to_owned(),
    }
}

pub struct Line {
    pub id: i64,
    pub resource: String,
    pub when: String,
    pub state: BookingState,
    pub state_label: &'static str,
    pub quantity: i64,
    pub purpose: String,
    pub gross: String,
    pub voucher: String,
    pub co_payment: String,
    pub checked_in: Option<String>,
    pub checked_out: Option<String>,
}

impl Line {
    pub fn new(row: &BookingRow, labels: &Labels, locale: Locale) -> Line {
        let (en, zh, zone) = labels.get(&row.resource_id).cloned().unwrap_or_default();
        let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
        let gross = row.final_gross_fen.unwrap_or(row.gross_fen);
        let voucher = row.final_voucher_fen.unwrap_or(row.voucher_share_fen);
        Line {
            id: row.id,
            resource: name(locale, &en, &zh),
            when: span(row.start_at, row.end_at, tz),
            state: row.state,
            state_label: label(locale, row.state.as_str()),
            quantity: row.quantity,
            purpose: row.purpose.clone(),
            gross: yuan(gross),
            voucher: yuan(voucher),
            co_payment: yuan(gross - voucher),
            checked_in: row.check_in_at.map(|t| local(t, tz)),
            checked_out: row.check_out_at.map(|t| local(t, tz)),
        }
    }

    pub fn is(&self, state: &str) -> bool {
        self.state.as_str() == state
    }
}

/// Lines for `rows`, reading the names they need.
pub fn lines(
    conn: &mut DbConnection,
    rows: &[BookingRow],
    locale: Locale,
) -> Result<Vec<Line>, ServiceError> {
    let labels = labels_of(conn, &rows.iter().collect::<Vec<_>>())?;
    Ok(rows.iter().map(|r| Line::new(r, &labels, locale)).collect())
}
