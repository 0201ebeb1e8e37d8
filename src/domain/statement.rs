//! The life of a settlement statement: which step follows which, and whose step it is.

use super::types::StatementStatus;

/// A step in a statement's life after it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The issuer accepts the amount.
    Agree,
    /// The issuer has paid what it agreed.
    Pay,
    /// The provider takes the statement back (to issue a corrected one).
    Withdraw,
    /// The issuer refuses the statement as it stands.
    Dispute,
}

/// The two parties of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The institution that was paid for its resources' use.
    Provider,
    /// The agency whose vouchers paid.
    Issuer,
}

impl Step {
    /// The status a statement must have for this step, and the status it then has.
    pub fn transition(self) -> (StatementStatus, StatementStatus) {
        use StatementStatus::*;
        match self {
            Step::Agree => (Issued, Agreed),
            Step::Pay => (Agreed, Paid),
            Step::Withdraw => (Issued, Withdrawn),
            Step::Dispute => (Issued, Disputed),
        }
    }

    /// Whose step it is (admins may take any).
    pub fn party(self) -> Party {
        match self {
            Step::Withdraw => Party::Provider,
            Step::Agree | Step::Pay | Step::Dispute => Party::Issuer,
        }
    }

    /// The name of the step in the audit trail.
    pub fn action(self) -> &'static str {
        match self {
            Step::Agree => "settlement_statement.agreed",
            Step::Pay => "settlement_statement.paid",
            Step::Withdraw => "settlement_statement.withdrawn",
            Step::Dispute => "settlement_statement.disputed",
        }
    }
}

impl StatementStatus {
    /// Whether the statement still claims its lines: a withdrawn or disputed one frees them
    /// for a corrected statement.
    pub fn holds_lines(self) -> bool {
        !matches!(self, StatementStatus::Withdrawn | StatementStatus::Disputed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StatementStatus::*;

    #[test]
    fn a_statement_is_agreed_then_paid_or_closed_before_it_is_agreed() {
        assert_eq!(Step::Agree.transition(), (Issued, Agreed));
        assert_eq!(Step::Pay.transition(), (Agreed, Paid));
        assert_eq!(Step::Withdraw.transition().0, Issued);
        assert_eq!(Step::Dispute.transition().0, Issued);
        assert_eq!(Step::Withdraw.party(), Party::Provider);
        assert_eq!(Step::Pay.party(), Party::Issuer);
    }

    #[test]
    fn only_live_statements_hold_their_lines() {
        let live: Vec<_> = StatementStatus::ALL
            .iter()
            .filter(|s| s.holds_lines())
            .collect();
        assert_eq!(live, [&Issued, &Agreed, &Paid]);
    }
}
