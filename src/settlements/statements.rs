//! Settlement statements as documents with a life: a provider institution issues one to an
//! issuing agency for what the agency's vouchers paid it in a period; the agency agrees to it and
//! then records its payment, or disputes it; the provider may withdraw it before it is agreed.
//! Each payment is on at most one live statement, and every step is audited.

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Asia::Shanghai;

use super::{Line, Scope, lines};
use crate::audit::{self, Change};
use crate::db::settlements::movements;
use crate::db::statements::{
    self as store, NewStatement, StatementFilter, StatementRow, StepChange,
};
use crate::db::{DbConnection, organizations};
use crate::domain::actor::{Actor, Reach};
use crate::domain::ids::OrganizationId;
use crate::domain::months;
use crate::domain::statement::{Party, Step};
use crate::domain::types::{Movement, OrgKind, StatementStatus};
use crate::error::{ErrorCode, ServiceError};

/// What a provider asks to be paid for: the agency's vouchers' payments in whole Shanghai days.
#[derive(Debug, Clone)]
pub struct Draft {
    pub issuer_id: i64,
    /// The provider institution; a manager's own, which only an admin names.
    pub provider_id: Option<i64>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A statement with the ledger lines it claims.
#[derive(Debug, Clone)]
pub struct Statement {
    pub row: StatementRow,
    pub lines: Vec<Line>,
}

/// Issues a statement of every payment of the period not yet on a live statement.
pub fn issue(
    conn: &mut DbConnection,
    actor: &Actor,
    draft: Draft,
    now: NaiveDateTime,
) -> Result<Statement, ServiceError> {
    let provider = provider_for(actor, draft.provider_id)?;
    let (from, to) = months::whole_days(draft.from, draft.to)?;
    let today = now.and_utc().with_timezone(&Shanghai).date_naive();
    if draft.to > today {
        let message = format!("must be today ({today}, Asia/Shanghai) or earlier");
        return Err(ServiceError::invalid_field("to", message));
    }
    require_kind(conn, "issuer_id", draft.issuer_id, OrgKind::Agency)?;
    require_kind(conn, "provider_id", provider, OrgKind::Institution)?;
    let scope = Scope {
        issuer: Some(draft.issuer_id),
        provider: Some(provider),
        unsettled: true,
        ..Scope::default()
    };
    let entries = movements(conn, scope, from, to)?;
    if entries.is_empty() {
        return Err(ServiceError::new(
            ErrorCode::ValidationFailed,
            "nothing is left to settle: the agency's vouchers paid the provider nothing in the \
             period that is not on a statement already",
        ));
    }
    let signed = |e: &crate::db::vouchers::LedgerRow| match e.movement {
        Movement::Capture => e.amount_fen,
        _ => -e.amount_fen,
    };
    let new = NewStatement {
        issuer_id: draft.issuer_id,
        provider_id: provider,
        period_from: draft.from,
        period_to: draft.to,
        amount_fen: entries.iter().map(signed).sum(),
        line_count: entries.len() as i64,
        status: StatementStatus::Issued,
        issued_at: now,
    };
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    let row = store::insert(conn, &new, &ids)?.ok_or_else(|| {
        ServiceError::new(
            ErrorCode::InvalidState,
            "another statement claimed some of these payments at the same moment; issue it again",
        )
    })?;
    let change = change_of(&row, "settlement_statement.issued", None);
    audit::record(
        conn,
        actor,
        change,
        (None::<&StatementRow>, Some(&row)),
        now,
    )?;
    crate::webhooks::money::statement(conn, &row, "statement.issued", now)?;
    with_lines(conn, row)
}

/// The provider a statement is issued for: a manager's institution, or the one an admin names.
fn provider_for(actor: &Actor, named: Option<i64>) -> Result<i64, ServiceError> {
    match (actor.reach(), named) {
        (Reach::Institution(org), None) => Ok(org.0),
        (Reach::Institution(org), Some(id)) if id == org.0 => Ok(id),
        (Reach::Institution(_), Some(_)) => Err(ServiceError::forbidden(
            "a manager issues statements for their own institution only",
        )),
        (Reach::All, Some(id)) => Ok(id),
        (Reach::All, None) => Err(ServiceError::invalid_field(
            "provider_id",
            "name the provider institution the statement is issued for",
        )),
        _ => Err(ServiceError::forbidden(
            "statements are issued by the provider institution's managers (or an admin)",
        )),
    }
}

fn require_kind(
    conn: &mut DbConnection,
    field: &str,
    id: i64,
    kind: OrgKind,
) -> Result<(), ServiceError> {
    let found = organizations::find(conn, OrganizationId(id))?;
    match found {
        Some(org) if org.kind == kind.as_str() => Ok(()),
        _ => Err(ServiceError::invalid_field(
            field,
            format!("must be the id of an organisation of kind {kind}"),
        )),
    }
}

/// The statement, if `actor` is one of its parties (or an admin).
pub fn find(conn: &mut DbConnection, actor: &Actor, id: i64) -> Result<Statement, ServiceError> {
    let row = visible(conn, actor, id)?.0;
    with_lines(conn, row)
}

fn visible(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
) -> Result<(StatementRow, Option<Party>), ServiceError> {
    let row = store::find(conn, id)?.ok_or_else(|| ServiceError::not_found("statement"))?;
    let party = match actor.reach() {
        Reach::All => None,
        Reach::Institution(org) if org.0 == row.provider_id => Some(Party::Provider),
        Reach::Agency(org) if org.0 == row.issuer_id => Some(Party::Issuer),
        _ => return Err(ServiceError::not_found("statement")),
    };
    Ok((row, party))
}

fn with_lines(conn: &mut DbConnection, row: StatementRow) -> Result<Statement, ServiceError> {
    let (from, to) = months::whole_days(row.period_from, row.period_to)?;
    let scope = Scope {
        statement: Some(row.id),
        ..Scope::default()
    };
    let lines = lines(conn, scope, from, to)?;
    Ok(Statement { row, lines })
}

/// A page of the statements `actor` is a party to (admins: all) that match `filter`.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    mut filter: StatementFilter,
    (after, limit): (Option<i64>, i64),
) -> Result<Vec<StatementRow>, ServiceError> {
    filter.party = match actor.reach() {
        Reach::All => None,
        Reach::Institution(org) | Reach::Agency(org) => Some(org.0),
        _ => {
            return Err(ServiceError::forbidden(
                "settlement statements are for issuers, provider institutions' managers and admins",
            ));
        }
    };
    Ok(store::list(conn, &filter, after, limit)?)
}

/// Takes `step` on statement `id`; `note` is the payment's reference for [`Step::Pay`], the
/// reason for a withdrawal or a dispute.
pub fn advance(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, step): (i64, Step),
    note: Option<String>,
    now: NaiveDateTime,
) -> Result<Statement, ServiceError> {
    let (before, party) = visible(conn, actor, id)?;
    if party.is_some_and(|p| p != step.party()) {
        return Err(ServiceError::forbidden(match step.party() {
            Party::Issuer => "this step is the issuing agency's",
            Party::Provider => "this step is the provider institution's",
        }));
    }
    let (from, to) = step.transition();
    let stale = || {
        ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "the statement is {}; only an {from} one can become {to}",
                before.status
            ),
        )
    };
    if before.status != from {
        return Err(stale());
    }
    let change = step_change(step, note, now);
    if !store::advance(conn, id, (from, to), &change)? {
        return Err(stale());
    }
    let after =
        store::find(conn, id)?.ok_or_else(|| ServiceError::internal("statement vanished"))?;
    let audited = change_of(&after, step.action(), after.closed_reason.as_deref());
    audit::record(conn, actor, audited, (Some(&before), Some(&after)), now)?;
    if step == Step::Pay {
        crate::webhooks::money::statement(conn, &after, "statement.paid", now)?;
    }
    with_lines(conn, after)
}

fn step_change(step: Step, note: Option<String>, now: NaiveDateTime) -> StepChange {
    match step {
        Step::Agree => StepChange {
            agreed_at: Some(now),
            ..StepChange::default()
        },
        Step::Pay => StepChange {
            paid_at: Some(now),
            payment_reference: note,
            ..StepChange::default()
        },
        Step::Withdraw | Step::Dispute => StepChange {
            closed_at: Some(now),
            closed_reason: note,
            ..StepChange::default()
        },
    }
}

/// A statement's change, read by both its parties.
fn change_of<'a>(row: &StatementRow, action: &'a str, reason: Option<&'a str>) -> Change<'a> {
    Change {
        subject: ("settlement_statement", row.id),
        action,
        owner: Some(row.provider_id),
        party: Some(row.issuer_id),
        reason,
    }
}
