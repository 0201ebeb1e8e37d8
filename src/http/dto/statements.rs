//! Settlement statements as the API shows them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::types::StatementStatus;
use crate::settlements::Line;
use crate::settlements::statements::{Draft, Statement};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueStatement {
    pub issuer_id: i64,
    pub provider_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl From<IssueStatement> for Draft {
    fn from(b: IssueStatement) -> Draft {
        Draft {
            issuer_id: b.issuer_id,
            provider_id: b.provider_id,
            from: b.from,
            to: b.to,
        }
    }
}

/// The body of recording a payment: the transfer's reference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub reference: String,
}

#[derive(Debug, Serialize)]
pub struct SettlementStatement {
    pub id: i64,
    pub issuer_id: i64,
    pub provider_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub amount_fen: i64,
    pub line_count: i64,
    pub status: StatementStatus,
    pub issued_at: DateTime<Utc>,
    pub agreed_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_reference: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_reason: Option<String>,
    /// The payments it claims; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<Line>>,
}

impl SettlementStatement {
    pub fn of(row: crate::db::statements::StatementRow, lines: Option<Vec<Line>>) -> Self {
        let utc = |t: Option<chrono::NaiveDateTime>| t.map(|t| t.and_utc());
        SettlementStatement {
            id: row.id,
            issuer_id: row.issuer_id,
            provider_id: row.provider_id,
            from: row.period_from,
            to: row.period_to,
            amount_fen: row.amount_fen,
            line_count: row.line_count,
            status: row.status,
            issued_at: row.issued_at.and_utc(),
            agreed_at: utc(row.agreed_at),
            paid_at: utc(row.paid_at),
            payment_reference: row.payment_reference,
            closed_at: utc(row.closed_at),
            closed_reason: row.closed_reason,
            lines,
        }
    }
}

impl From<Statement> for SettlementStatement {
    fn from(s: Statement) -> Self {
        SettlementStatement::of(s.row, Some(s.lines))
    }
}
