//! Reports, flow matrices and settlement statements as they are sent.

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::settlements::Scope;
use crate::domain::sharing::Figures;
use crate::reports::flows::Flow;
use crate::reports::{Level, Row};
use crate::settlements::{Line, Total};

/// The days in Asia/Shanghai a report covers, `from` and `to` included.
#[derive(Debug, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: &'static str,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Period {
        Period {
            from,
            to,
            timezone: "Asia/Shanghai",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SharingReport {
    #[serde(flatten)]
    pub period: Period,
    pub level: Level,
    pub large_only: bool,
    pub rows: Vec<Row>,
    pub total: Figures,
}

#[derive(Debug, Serialize)]
pub struct FlowReport {
    #[serde(flatten)]
    pub period: Period,
    pub by_user_province: Vec<Flow>,
    pub by_issuer_province: Vec<Flow>,
}

#[derive(Debug, Serialize)]
pub struct Rebuilt {
    pub rebuilt: bool,
    pub elapsed_ms: u64,
}

/// Whose money a statement covers, as the caller may see it.
#[derive(Debug, Serialize)]
pub struct SettlementScope {
    pub issuer_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub program_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Settlement {
    #[serde(flatten)]
    pub period: Period,
    pub scope: SettlementScope,
    pub lines: Vec<Line>,
    pub totals: Vec<Total>,
    pub total_fen: i64,
}

impl Settlement {
    pub fn new(period: Period, scope: Scope, lines: Vec<Line>, totals: Vec<Total>) -> Settlement {
        Settlement {
            period,
            scope: SettlementScope {
                issuer_id: scope.issuer,
                provider_id: scope.provider,
                program_id: scope.program,
            },
            total_fen: lines.iter().fold(0, |t, l| t.saturating_add(l.amount_fen)),
            lines,
            totals,
        }
    }
}
