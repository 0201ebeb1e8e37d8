//! Open-sharing figures (docs/design.md §6) from recorded actual use, never from reservations: for one
//! resource over a period, and rolled up over any set of resources (institution, city, province,
//! region) by adding the parts and recomputing the rates. Time is counted in whole unit-minutes
//! (minutes × units) so that the same data gives the same figures on every database.

use std::collections::BTreeSet;

use serde::Serialize;

use super::availability::Span;

/// A cancellation less than this before the start counts as late.
pub const LATE_CANCEL_HOURS: i64 = 24;

/// Rated hours a year when a resource names none.
pub const DEFAULT_RATED_HOURS: i64 = 1_600;

/// One recorded use: whose, by whom, when (checked in to checked out, or a job's start to end),
/// its unit-minutes and what it was charged. Hours count where they fall (pro rata across a
/// period's edge); the fee counts in the period the use ended in.
#[derive(Debug, Clone)]
pub struct Use {
    pub organization: i64,
    pub user: String,
    pub used: Span,
    pub unit_minutes: i64,
    pub fee_fen: i64,
}

impl Use {
    /// A booking's use: whole minutes from check-in to check-out, times its units.
    pub fn booked(organization: i64, user: &str, used: Span, quantity: i64, fee_fen: i64) -> Use {
        Use {
            organization,
            user: user.to_owned(),
            used,
            unit_minutes: (used.end - used.start).num_minutes().max(0) * quantity.max(1),
            fee_fen,
        }
    }

    /// Its unit-minutes before `t`, pro rata to the whole minutes elapsed (rounded down). The
    /// share of a period is the difference at its ends, so the shares of adjacent periods (days,
    /// months) always add up to the share of the whole, and to the use itself.
    pub fn before(&self, t: super::availability::Instant) -> i64 {
        let whole = (self.used.end - self.used.start).num_minutes();
        if whole <= 0 {
            // A use shorter than a minute counts where it starts.
            return if t > self.used.start {
                self.unit_minutes
            } else {
                0
            };
        }
        let elapsed = (t - self.used.start).num_minutes().clamp(0, whole);
        let share = i128::from(self.unit_minutes) * i128::from(elapsed) / i128::from(whole);
        i64::try_from(share).unwrap_or(i64::MAX)
    }

    /// Whether it ended in `period`: its fee, voucher payment and count belong there.
    pub fn ended_in(&self, period: Span) -> bool {
        period.start <= self.used.end && self.used.end < period.end
    }

    /// What of this use falls in `period`: its share of unit-minutes, and its fee if it ended
    /// there.
    pub fn tally(&self, period: Span) -> Tally {
        Tally {
            organization: self.organization,
            unit_minutes: self.before(period.end) - self.before(period.start),
            fee_fen: if self.ended_in(period) {
                self.fee_fen
            } else {
                0
            },
        }
    }
}

/// Use by one organisation inside a period: unit-minutes, and fees of uses that ended in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub organization: i64,
    pub unit_minutes: i64,
    pub fee_fen: i64,
}

/// How the bookings due in the period ended, for the no-show and late-cancel rates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Endings {
    /// Bookings that were due to take place (completed, no-show, or cancelled late).
    pub due: i64,
    pub no_shows: i64,
    pub late_cancels: i64,
}

/// What a resource is: its owner, its units and its rated hours a year.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub owner: i64,
    pub capacity: i64,
    pub rated_hours_per_year: i64,
}

/// The additive parts of the figures; rates are derived from them.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub effective_unit_minutes: i64,
    pub external_unit_minutes: i64,
    pub available_unit_minutes: i64,
    pub income_fen: i64,
    pub users: BTreeSet<String>,
    pub organizations: BTreeSet<i64>,
    pub endings: Endings,
    /// Service orders delivered in the period: counted apart from hours of use.
    pub orders: Orders,
}

/// Service orders whose report was delivered in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Orders {
    pub delivered: i64,
    pub samples: i64,
    pub income_fen: i64,
    /// Of them, those ordered by organisations other than the lab's own.
    pub external: i64,
}

impl Orders {
    /// One delivered order of `samples` for `fee`, external when another organisation ordered it.
    pub fn one(samples: i64, fee: i64, external: bool) -> Orders {
        Orders {
            delivered: 1,
            samples,
            income_fen: fee,
            external: i64::from(external),
        }
    }

    pub fn add(&mut self, o: &Orders) {
        self.delivered = self.delivered.saturating_add(o.delivered);
        self.samples = self.samples.saturating_add(o.samples);
        self.income_fen = self.income_fen.saturating_add(o.income_fen);
        self.external = self.external.saturating_add(o.external);
    }
}

fn overlap_minutes(a: Span, b: Span) -> i64 {
    let start = a.start.max(b.start);
    let end = a.end.min(b.end);
    (end - start).num_minutes().max(0)
}

/// Rated time in the period, less the time blackouts took out of it, in unit-minutes.
pub fn available_unit_minutes(facts: Facts, period: Span, blackouts: &[Span]) -> i64 {
    let period_minutes = (period.end - period.start).num_minutes().max(0);
    // Rated hours spread evenly over a 365-day year, scaled to the period.
    let rated =
        i128::from(facts.rated_hours_per_year) * 60 * i128::from(period_minutes) / (365 * 24 * 60);
    let rated = i64::try_from(rated).unwrap_or(i64::MAX);
    let closed: i64 = blackouts.iter().map(|b| overlap_minutes(*b, period)).sum();
    // A blackout's share of the rated time, not its wall-clock length, is what it takes away.
    let lost = i128::from(rated) * i128::from(closed) / i128::from(period_minutes.max(1));
    let lost = i64::try_from(lost).unwrap_or(rated);
    (rated - lost).max(0) * facts.capacity.max(1)
}

/// What was recorded on one resource in a period: use tallied by organisation (uses wholly
/// inside may come summed from the database), who used it, and how bookings due ended.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub tallies: Vec<Tally>,
    pub users: BTreeSet<String>,
    pub endings: Endings,
}

/// The totals of one resource over `period`.
pub fn totals(facts: Facts, period: Span, recorded: Recorded, blackouts: &[Span]) -> Totals {
    let mut t = Totals {
        available_unit_minutes: available_unit_minutes(facts, period, blackouts),
        endings: recorded.endings,
        users: recorded.users,
        ..Totals::default()
    };
    for u in &recorded.tallies {
        t.effective_unit_minutes = t.effective_unit_minutes.saturating_add(u.unit_minutes);
        if u.organization != facts.owner {
            t.external_unit_minutes = t.external_unit_minutes.saturating_add(u.unit_minutes);
        }
        // A use's fee belongs to the period it ended in, so no two periods count it.
        t.income_fen = t.income_fen.saturating_add(u.fee_fen);
        if u.unit_minutes > 0 {
            t.organizations.insert(u.organization);
        }
    }
    t
}

/// The totals of one resource over `period` from its uses one by one.
pub fn of_resource(
    facts: Facts,
    period: Span,
    uses: &[Use],
    blackouts: &[Span],
    endings: Endings,
) -> Totals {
    let inside = uses.iter().filter(|u| overlap_minutes(u.used, period) > 0);
    let recorded = Recorded {
        tallies: uses.iter().map(|u| u.tally(period)).collect(),
        users: inside.map(|u| u.user.clone()).collect(),
        endings,
    };
    totals(facts, period, recorded, blackouts)
}

impl Totals {
    /// Adds another resource's totals (for a roll-up): sums, and the union of who was served.
    pub fn add(&mut self, other: &Totals) {
        // Saturating, like every report sum: a report answers on whatever is stored.
        self.effective_unit_minutes = self
            .effective_unit_minutes
            .saturating_add(other.effective_unit_minutes);
        self.external_unit_minutes = self
            .external_unit_minutes
            .saturating_add(other.external_unit_minutes);
        self.available_unit_minutes = self
            .available_unit_minutes
            .saturating_add(other.available_unit_minutes);
        self.income_fen = self.income_fen.saturating_add(other.income_fen);
        self.users.extend(other.users.iter().cloned());
        self.organizations
            .extend(other.organizations.iter().copied());
        self.endings.due += other.endings.due;
        self.endings.no_shows += other.endings.no_shows;
        self.endings.late_cancels += other.endings.late_cancels;
        self.orders.add(&other.orders);
    }

    pub fn figures(&self) -> Figures {
        let hours = |m: i64| (m as f64 / 60.0 * 100.0).round() / 100.0;
        let ratio =
            |a: i64, b: i64| (b > 0).then(|| (a as f64 / b as f64 * 10_000.0).round() / 10_000.0);
        Figures {
            effective_hours: hours(self.effective_unit_minutes),
            external_hours: hours(self.external_unit_minutes),
            sharing_rate: ratio(self.external_unit_minutes, self.effective_unit_minutes),
            rated_hours: hours(self.available_unit_minutes),
            utilisation: ratio(self.effective_unit_minutes, self.available_unit_minutes),
            service_income_fen: self.income_fen,
            users_served: self.users.len(),
            organizations_served: self.organizations.len(),
            no_show_rate: ratio(self.endings.no_shows, self.endings.due),
            late_cancel_rate: ratio(self.endings.late_cancels, self.endings.due),
            service_orders: self.orders.delivered,
            external_service_orders: self.orders.external,
            samples_measured: self.orders.samples,
            service_order_income_fen: self.orders.income_fen,
        }
    }
}

/// The published figures: hours to two decimals, rates to four, `None` where nothing was due.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub effective_hours: f64,
    pub external_hours: f64,
    pub sharing_rate: Option<f64>,
    pub rated_hours: f64,
    pub utilisation: Option<f64>,
    pub service_income_fen: i64,
    pub users_served: usize,
    pub organizations_served: usize,
    pub no_show_rate: Option<f64>,
    pub late_cancel_rate: Option<f64>,
    /// Service orders (such as sample testing) delivered in the period, apart from hours.
    pub service_orders: i64,
    pub external_service_orders: i64,
    pub samples_measured: i64,
    pub service_order_income_fen: i64,
}

/// The national threshold for a large instrument (original value in yuan); Shanghai's is lower.
pub fn is_large(original_value_cny: i64, province: &str) -> bool {
    let threshold = if province == "SH" { 300_000 } else { 500_000 };
    original_value_cny >= threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> super::super::availability::Instant {
        s.parse().unwrap()
    }

    fn span(a: &str, b: &str) -> Span {
        Span::new(at(a), at(b))
    }

    /// January 2027 (31 days) for an NMR owned by organisation 1, rated 1 600 h a year.
    #[test]
    fn one_instrument_over_a_month_by_hand() {
        let facts = Facts {
            owner: 1,
            capacity: 1,
            rated_hours_per_year: 1_600,
        };
        let january = span("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z");
        let uses = [
            // The owner's own researcher: 3 h.
            Use::booked(
                1,
                "10",
                span("2027-01-05T01:00:00Z", "2027-01-05T04:00:00Z"),
                1,
                60_000,
            ),
            // An enterprise: 2 h 30 min.
            Use::booked(
                2,
                "20",
                span("2027-01-06T01:00:00Z", "2027-01-06T03:30:00Z"),
                1,
                200_000,
            ),
            // The same enterprise again, across the month's end: only the 1 h in January counts.
            Use::booked(
                2,
                "21",
                span("2027-01-31T23:00:00Z", "2027-02-01T02:00:00Z"),
                1,
                240_000,
            ),
        ];
        // Closed for 3.1 days: a tenth of the month.
        let blackouts = [span("2027-01-10T00:00:00Z", "2027-01-13T02:24:00Z")];
        let endings = Endings {
            due: 5,
            no_shows: 1,
            late_cancels: 1,
        };
        let f = of_resource(facts, january, &uses, &blackouts, endings).figures();
        // Rated: 1 600 h × 31/365 = 135.89 h (8 153 min); less a tenth: 7 338 min = 122.3 h.
        assert_eq!(
            f,
            Figures {
                effective_hours: 6.5,
                external_hours: 3.5,
                sharing_rate: Some(0.5385),
                rated_hours: 122.3,
                utilisation: Some(0.0531),
                service_income_fen: 260_000,
                users_served: 3,
                organizations_served: 2,
                no_show_rate: Some(0.2),
                late_cancel_rate: Some(0.2),
                service_orders: 0,
                external_service_orders: 0,
                samples_measured: 0,
                service_order_income_fen: 0,
            }
        );
    }

    #[test]
    fn roll_ups_add_parts_and_recompute_rates() {
        let facts = |owner| Facts {
            owner,
            capacity: 1,
            rated_hours_per_year: 1_600,
        };
        let year = span("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
        let a = of_resource(
            facts(1),
            year,
            &[Use::booked(
                2,
                "7",
                span("2027-03-01T00:00:00Z", "2027-03-01T10:00:00Z"),
                1,
                1,
            )],
            &[],
            Endings::default(),
        );
        let b = of_resource(
            facts(2),
            year,
            &[Use::booked(
                2,
                "7",
                span("2027-04-01T00:00:00Z", "2027-04-01T06:00:00Z"),
                1,
                2,
            )],
            &[],
            Endings::default(),
        );
        let mut region = Totals::default();
        region.add(&a);
        region.add(&b);
        let f = region.figures();
        // 10 h external (org 2 at org 1's) + 6 h internal (org 2 at its own) = 16 h, 10 external.
        assert_eq!(
            (f.effective_hours, f.external_hours, f.sharing_rate),
            (16.0, 10.0, Some(0.625))
        );
        assert_eq!(
            (f.rated_hours, f.users_served, f.organizations_served),
            (3_200.0, 1, 1)
        );
        assert_eq!(f.utilisation, Some(0.005));
    }

    #[test]
    fn units_count_and_nothing_due_is_no_rate() {
        let gpu = Facts {
            owner: 1,
            capacity: 8,
            rated_hours_per_year: 1_600,
        };
        let day = span("2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z");
        let f = of_resource(
            gpu,
            day,
            &[Use::booked(
                3,
                "9",
                span("2027-01-01T00:00:00Z", "2027-01-01T02:00:00Z"),
                4,
                0,
            )],
            &[],
            Endings::default(),
        )
        .figures();
        assert_eq!(f.effective_hours, 8.0, "2 h × 4 GPUs");
        assert_eq!(f.no_show_rate, None);
        assert_eq!(f.rated_hours, 35.07, "1 600 h / 365 × 8 GPUs = 263 min × 8");
    }

    #[test]
    fn large_instrument_thresholds() {
        assert!(is_large(300_000, "SH"));
        assert!(!is_large(300_000, "JS"));
        assert!(is_large(500_000, "ZJ"));
    }
}
