//! A voucher's append-only ledger and the balances derived from it. Every movement is a new
//! entry; a correction is a reversing entry, never an edit. Each operation checks the invariants
//! before it appends:
//! available never negative; one hold per booking or allocation; release plus capture never
//! above the hold;
//! after expiry nothing new is held or granted; an entry is reversed at most once.

use std::collections::HashMap;

use serde::Serialize;

use super::money::Fen;

pub use super::types::Movement;

/// What a hold is for: a booking, a computing allocation drawn down by its usage, or a service
/// order captured on the samples measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Claim {
    Booking(i64),
    Allocation(i64),
    ServiceOrder(i64),
}

impl std::fmt::Display for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Claim::Booking(id) => write!(f, "booking {id}"),
            Claim::Allocation(id) => write!(f, "allocation {id}"),
            Claim::ServiceOrder(id) => write!(f, "service order {id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub movement: Movement,
    /// Always positive; the movement says which way it goes.
    pub amount: Fen,
    pub claim: Option<Claim>,
    /// For a reversal: the position of the entry it reverses.
    pub reverses: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub granted: Fen,
    pub held: Fen,
    pub captured: Fen,
    pub expired: Fen,
    pub available: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amounts are positive whole fen")]
    NotPositive,
    #[error("only {available} fen are available")]
    Insufficient { available: Fen },
    #[error("{0} already has a hold")]
    SecondHold(Claim),
    #[error("{0} has no hold")]
    NoHold(Claim),
    #[error("only {open} fen of the hold are still open")]
    ExceedsHold { open: Fen },
    #[error("the voucher has expired")]
    Expired,
    #[error("entry {0} does not exist, is itself a reversal, or was already reversed")]
    NotReversible(usize),
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: Vec<Entry>,
}

impl Ledger {
    pub fn from_entries(entries: Vec<Entry>) -> Ledger {
        Ledger { entries }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The balance, derived from every entry.
    pub fn balance(&self) -> Balance {
        let mut b = Balance::default();
        for e in &self.entries {
            let a = e.amount;
            match e.movement {
                Movement::Grant => b.granted += a,
                Movement::Hold => b.held += a,
                Movement::Release => b.held -= a,
                Movement::Capture => {
                    b.held -= a;
                    b.captured += a;
                }
                Movement::Expire => b.expired += a,
                Movement::Reversal => match e.reverses.map(|i| self.entries[i].movement) {
                    Some(Movement::Grant) => b.granted -= a,
                    Some(Movement::Capture) => b.captured -= a,
                    Some(Movement::Expire) => b.expired -= a,
                    _ => {}
                },
            }
        }
        b.available = b.granted - b.held - b.captured - b.expired;
        b
    }

    /// Whether an expiry stands (made and not reversed).
    pub fn expired(&self) -> bool {
        let reversed = self.reversed();
        self.entries
            .iter()
            .enumerate()
            .any(|(i, e)| e.movement == Movement::Expire && !reversed.contains_key(&i))
    }

    fn reversed(&self) -> HashMap<usize, usize> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.reverses.map(|r| (r, i)))
            .collect()
    }

    /// The hold of a booking or allocation and how much of it is still open.
    pub fn hold_of(&self, claim: Claim) -> Option<(Fen, Fen)> {
        let mine = |m: Movement| {
            self.entries
                .iter()
                .filter(move |e| e.movement == m && e.claim == Some(claim))
                .map(|e| e.amount)
                .sum::<Fen>()
        };
        let hold = self
            .entries
            .iter()
            .find(|e| e.movement == Movement::Hold && e.claim == Some(claim))?
            .amount;
        Some((
            hold,
            hold - mine(Movement::Release) - mine(Movement::Capture),
        ))
    }

    /// How much has been captured from a claim's hold, over all its captures.
    pub fn captured_from(&self, claim: Claim) -> Fen {
        self.entries
            .iter()
            .filter(|e| e.movement == Movement::Capture && e.claim == Some(claim))
            .map(|e| e.amount)
            .sum()
    }

    fn push(
        &mut self,
        movement: Movement,
        amount: Fen,
        claim: Option<Claim>,
    ) -> Result<&Entry, LedgerError> {
        if amount <= 0 {
            return Err(LedgerError::NotPositive);
        }
        self.entries.push(Entry {
            movement,
            amount,
            claim,
            reverses: None,
        });
        Ok(self.entries.last().expect("just pushed"))
    }

    pub fn grant(&mut self, amount: Fen) -> Result<&Entry, LedgerError> {
        if self.expired() {
            return Err(LedgerError::Expired);
        }
        self.push(Movement::Grant, amount, None)
    }

    pub fn hold(&mut self, claim: Claim, amount: Fen) -> Result<&Entry, LedgerError> {
        if self.expired() {
            return Err(LedgerError::Expired);
        }
        if self.hold_of(claim).is_some() {
            return Err(LedgerError::SecondHold(claim));
        }
        let available = self.balance().available;
        if amount > available {
            return Err(LedgerError::Insufficient { available });
        }
        self.push(Movement::Hold, amount, Some(claim))
    }

    fn take_from_hold(
        &mut self,
        movement: Movement,
        claim: Claim,
        amount: Fen,
    ) -> Result<&Entry, LedgerError> {
        let (_, open) = self.hold_of(claim).ok_or(LedgerError::NoHold(claim))?;
        if amount > open {
            return Err(LedgerError::ExceedsHold { open });
        }
        self.push(movement, amount, Some(claim))
    }

    /// Gives back what a booking held but will not spend (cancel, reject, expiry, no-show).
    pub fn release(&mut self, claim: Claim, amount: Fen) -> Result<&Entry, LedgerError> {
        self.take_from_hold(Movement::Release, claim, amount)
    }

    /// Spends from a booking's hold, on the recorded actual use; never more than was held.
    pub fn capture(&mut self, claim: Claim, amount: Fen) -> Result<&Entry, LedgerError> {
        self.take_from_hold(Movement::Capture, claim, amount)
    }

    /// Expires whatever is still available; held money stays held for its bookings. After the
    /// first expiry, money released from a hold is expired again, so nothing is ever spendable.
    pub fn expire(&mut self) -> Result<&Entry, LedgerError> {
        let available = self.balance().available;
        if self.expired() && available == 0 {
            return Err(LedgerError::Expired);
        }
        // The first expiry is recorded even with nothing left, so nothing new can be granted.
        self.entries.push(Entry {
            movement: Movement::Expire,
            amount: available,
            claim: None,
            reverses: None,
        });
        Ok(self.entries.last().expect("just pushed"))
    }

    /// Reverses a grant, a capture or an expiry, once. Reversing a grant must leave the
    /// available balance non-negative.
    pub fn reverse(&mut self, index: usize) -> Result<&Entry, LedgerError> {
        let target = self
            .entries
            .get(index)
            .cloned()
            .ok_or(LedgerError::NotReversible(index))?;
        let reversible = matches!(
            target.movement,
            Movement::Grant | Movement::Capture | Movement::Expire
        );
        if !reversible || self.reversed().contains_key(&index) {
            return Err(LedgerError::NotReversible(index));
        }
        if target.movement == Movement::Grant {
            let available = self.balance().available;
            if target.amount > available {
                return Err(LedgerError::Insufficient { available });
            }
        }
        self.entries.push(Entry {
            movement: Movement::Reversal,
            amount: target.amount,
            claim: target.claim,
            reverses: Some(index),
        });
        Ok(self.entries.last().expect("just pushed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const B1: Claim = Claim::Booking(1);

    /// Claims 0..3 are bookings, 3..6 allocations: both kinds share one ledger.
    fn claim(n: i64) -> Claim {
        if n < 3 {
            Claim::Booking(n)
        } else {
            Claim::Allocation(n)
        }
    }

    #[test]
    fn the_life_of_a_voucher() {
        let mut l = Ledger::default();
        l.grant(100_000).unwrap();
        l.hold(B1, 60_000).unwrap();
        assert_eq!(
            l.hold(Claim::Booking(2), 50_000),
            Err(LedgerError::Insufficient { available: 40_000 })
        );
        assert_eq!(l.hold(B1, 10), Err(LedgerError::SecondHold(B1)));
        l.capture(B1, 45_000).unwrap();
        assert_eq!(
            l.capture(B1, 20_000),
            Err(LedgerError::ExceedsHold { open: 15_000 })
        );
        l.release(B1, 15_000).unwrap();
        assert_eq!(
            l.balance(),
            Balance {
                granted: 100_000,
                held: 0,
                captured: 45_000,
                expired: 0,
                available: 55_000
            }
        );
        l.expire().unwrap();
        assert_eq!(l.balance().available, 0);
        assert_eq!(
            l.expire(),
            Err(LedgerError::Expired),
            "nothing left to expire"
        );
        assert_eq!(l.hold(Claim::Allocation(3), 1), Err(LedgerError::Expired));
        assert_eq!(l.grant(1), Err(LedgerError::Expired));
        let capture = 2;
        l.reverse(capture).unwrap();
        assert_eq!(
            l.balance().available,
            45_000,
            "a reversed capture comes back"
        );
        assert_eq!(l.reverse(capture), Err(LedgerError::NotReversible(capture)));
    }

    /// Random sequences of every operation: whatever is accepted keeps every invariant, and the
    /// derived balance equals one kept by hand alongside.
    #[test]
    fn random_sequences_keep_every_invariant() {
        let mut rng = StdRng::seed_from_u64(2026);
        for _ in 0..2_000 {
            let mut l = Ledger::default();
            let mut model = Balance::default();
            for _ in 0..rng.random_range(1..60) {
                let amount = rng.random_range(-10..50_000);
                let booking = claim(rng.random_range(0..6));
                let before = l.entries().len();
                let outcome = match rng.random_range(0..6) {
                    0 => l.grant(amount).map(|_| ()),
                    1 => l.hold(booking, amount).map(|_| ()),
                    2 => l.release(booking, amount).map(|_| ()),
                    3 => l.capture(booking, amount).map(|_| ()),
                    4 => l.expire().map(|_| ()),
                    _ => l.reverse(rng.random_range(0..before.max(1))).map(|_| ()),
                };
                if outcome.is_err() {
                    assert_eq!(
                        l.entries().len(),
                        before,
                        "a refused operation appends nothing"
                    );
                    continue;
                }
                let e = l.entries().last().unwrap().clone();
                match e.movement {
                    Movement::Grant => model.granted += e.amount,
                    Movement::Hold => model.held += e.amount,
                    Movement::Release => model.held -= e.amount,
                    Movement::Capture => {
                        model.held -= e.amount;
                        model.captured += e.amount;
                    }
                    Movement::Expire => model.expired += e.amount,
                    Movement::Reversal => match l.entries()[e.reverses.unwrap()].movement {
                        Movement::Grant => model.granted -= e.amount,
                        Movement::Capture => model.captured -= e.amount,
                        Movement::Expire => model.expired -= e.amount,
                        other => panic!("reversed a {other:?}"),
                    },
                }
                model.available = model.granted - model.held - model.captured - model.expired;
                let b = l.balance();
                assert_eq!(b, model);
                assert!(b.available >= 0 && b.held >= 0 && b.captured >= 0, "{b:?}");
                for booking in (0..6).map(claim) {
                    if let Some((hold, open)) = l.hold_of(booking) {
                        assert!(open >= 0 && open <= hold);
                        let holds = l
                            .entries()
                            .iter()
                            .filter(|e| e.movement == Movement::Hold && e.claim == Some(booking))
                            .count();
                        assert_eq!(holds, 1, "one hold per booking");
                    }
                }
            }
        }
    }
}
