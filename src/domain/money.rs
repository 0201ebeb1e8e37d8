//! Prices and voucher shares in integer fen (CNY × 100); never floats. The voucher share is
//! rounded down, and gross = voucher share + co-payment always.

use serde::Serialize;

use super::Issue;
use super::types::{OrgKind, Province, ResourceKind};

pub type Fen = i64;

/// Who pays which rate: derived from the booker's organisation, never chosen by the booker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerCategory {
    /// The resource's own institution.
    Internal,
    /// Another research institution.
    Academic,
    /// A company (or any other organisation).
    Enterprise,
}

impl CustomerCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerCategory::Internal => "internal",
            CustomerCategory::Academic => "academic",
            CustomerCategory::Enterprise => "enterprise",
        }
    }
}

pub fn customer_category(
    booker_org: i64,
    booker_kind: OrgKind,
    resource_org: i64,
) -> CustomerCategory {
    match booker_kind {
        _ if booker_org == resource_org => CustomerCategory::Internal,
        OrgKind::Institution => CustomerCategory::Academic,
        OrgKind::Enterprise | OrgKind::Agency => CustomerCategory::Enterprise,
    }
}

/// The highest rate a resource may charge, in fen per unit-hour (one million yuan). With at
/// most a million units and a booking of at most 366 days, any one fee fits in fen.
pub const MAX_RATE_FEN: Fen = 100_000_000;

/// The fee for `quantity` units over `minutes` at `rate` fen per unit-hour, rounded half up to
/// the fen; `None` when it would not fit in fen.
pub fn gross_fee(rate: Fen, quantity: i64, minutes: i64) -> Option<Fen> {
    let numerator = i128::from(rate) * i128::from(quantity) * i128::from(minutes);
    Fen::try_from((numerator + 30) / 60).ok()
}

/// A rate and what it is charged per: a unit-hour, or a shift of `shift_min` minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tariff {
    pub rate: Fen,
    pub shift_min: Option<i64>,
}

impl Tariff {
    /// The fee for `quantity` units over `minutes`: per unit-hour to the minute; per shift for
    /// the number of shifts to the nearest whole one, at least one (so the seven- or nine-hour
    /// night a clock changes is one eight-hour shift). `None` when it would not fit in fen.
    pub fn fee(&self, quantity: i64, minutes: i64) -> Option<Fen> {
        match self.shift_min {
            None => gross_fee(self.rate, quantity, minutes),
            Some(shift) => {
                let shifts = ((minutes + shift / 2) / shift.max(1)).max(1);
                let fee = i128::from(self.rate) * i128::from(quantity) * i128::from(shifts);
                Fen::try_from(fee).ok()
            }
        }
    }

    /// [`Tariff::fee`], or a 422 naming `field` when the fee would not fit.
    pub fn fee_for(&self, quantity: i64, minutes: i64, field: &str) -> Result<Fen, Issue> {
        self.fee(quantity, minutes).ok_or_else(|| too_large(field))
    }

    /// The rate per unit-hour, or what a shift's rate comes to per hour, rounded half up.
    pub fn per_unit_hour(&self) -> Fen {
        match self.shift_min {
            None => self.rate,
            Some(shift) => (self.rate * 60 + shift / 2) / shift.max(1),
        }
    }
}

fn too_large(field: &str) -> Issue {
    Issue::field(
        field,
        "the fee (rate × quantity × time) is beyond what the service can record; \
         ask for less time or fewer units",
    )
}

/// [`gross_fee`], or a 422 naming `field` when the fee would not fit.
pub fn fee_for(rate: Fen, quantity: i64, minutes: i64, field: &str) -> Result<Fen, Issue> {
    gross_fee(rate, quantity, minutes).ok_or_else(|| too_large(field))
}

/// Adds fees, or a 422 naming `field` when the total would not fit.
pub fn add_fees(a: Fen, b: Fen, field: &str) -> Result<Fen, Issue> {
    a.checked_add(b)
        .ok_or_else(|| Issue::field(field, "the total fee is beyond what the service can record"))
}

/// What a booking is for. Statutory certification, commercial inspection and bulk quality
/// testing are not research and development: vouchers never pay for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeKind {
    Research,
    StatutoryCertification,
    CommercialInspection,
    BulkQualityTesting,
}

impl PurposeKind {
    pub const ALL: [PurposeKind; 4] = [
        PurposeKind::Research,
        PurposeKind::StatutoryCertification,
        PurposeKind::CommercialInspection,
        PurposeKind::BulkQualityTesting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PurposeKind::Research => "research",
            PurposeKind::StatutoryCertification => "statutory_certification",
            PurposeKind::CommercialInspection => "commercial_inspection",
            PurposeKind::BulkQualityTesting => "bulk_quality_testing",
        }
    }

    pub fn parse(s: &str) -> Option<PurposeKind> {
        PurposeKind::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn is_rnd(self) -> bool {
        self == PurposeKind::Research
    }
}

/// The terms of a voucher programme that decide a share.
#[derive(Debug, Clone)]
pub struct Terms {
    /// At most this share of the gross fee, in basis points (5000 = 50 %).
    pub ratio_bps: i64,
    pub accepted_provinces: Vec<Province>,
    pub eligible_kinds: Vec<ResourceKind>,
    /// Empty means every category.
    pub eligible_categories: Vec<String>,
}

/// Where a voucher stands at the moment of the quote.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    /// Active, within its programme's validity and not expired.
    pub usable: bool,
    pub available: Fen,
    /// What the annual cap per enterprise still allows this calendar year.
    pub cap_left: Fen,
}

/// What a booking's resource and purpose are.
#[derive(Debug, Clone)]
pub struct Service<'a> {
    pub provider_province: Province,
    pub kind: ResourceKind,
    pub category: &'a str,
    pub purpose: PurposeKind,
}

/// The rule that set the voucher share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    CoverageRatio,
    RemainingBalance,
    AnnualCap,
    ProviderProvinceNotAccepted,
    IneligibleKind,
    IneligibleCategory,
    IneligiblePurpose,
    VoucherNotUsable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Split {
    pub gross: Fen,
    pub voucher_share: Fen,
    pub co_payment: Fen,
    /// The rule that limited the share, if any did.
    pub limited_by: Option<Limit>,
}

/// Splits `gross` between a voucher and the booker.
pub fn split(gross: Fen, terms: &Terms, standing: Standing, service: &Service<'_>) -> Split {
    let nothing = |limit| Split {
        gross,
        voucher_share: 0,
        co_payment: gross,
        limited_by: Some(limit),
    };
    if !standing.usable {
        return nothing(Limit::VoucherNotUsable);
    }
    if !terms
        .accepted_provinces
        .contains(&service.provider_province)
    {
        return nothing(Limit::ProviderProvinceNotAccepted);
    }
    if !terms.eligible_kinds.contains(&service.kind) {
        return nothing(Limit::IneligibleKind);
    }
    if !terms.eligible_categories.is_empty()
        && !terms
            .eligible_categories
            .iter()
            .any(|c| c == service.category)
    {
        return nothing(Limit::IneligibleCategory);
    }
    if !service.purpose.is_rnd() {
        return nothing(Limit::IneligiblePurpose);
    }
    let by_ratio =
        Fen::try_from(i128::from(gross) * i128::from(terms.ratio_bps.clamp(0, 10_000)) / 10_000)
            .unwrap_or(0);
    let mut share = by_ratio;
    let mut limited_by = (by_ratio < gross).then_some(Limit::CoverageRatio);
    for (cap, limit) in [
        (standing.available, Limit::RemainingBalance),
        (standing.cap_left, Limit::AnnualCap),
    ] {
        if cap.max(0) < share {
            share = cap.max(0);
            limited_by = Some(limit);
        }
    }
    Split {
        gross,
        voucher_share: share,
        co_payment: gross - share,
        limited_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn terms() -> Terms {
        Terms {
            ratio_bps: 5000,
            accepted_provinces: vec![Province::SH, Province::JS, Province::ZJ, Province::AH],
            eligible_kinds: vec![ResourceKind::Instrument, ResourceKind::Facility],
            eligible_categories: vec![],
        }
    }

    #[test]
    fn a_shift_rate_charges_whole_shifts() {
        let beamline = Tariff {
            rate: 3_000_000,
            shift_min: Some(480),
        };
        assert_eq!(beamline.fee(1, 480), Some(3_000_000));
        assert_eq!(beamline.fee(1, 960), Some(6_000_000));
        // The spring and autumn nights: seven or nine real hours are one shift.
        assert_eq!(beamline.fee(1, 420), Some(3_000_000));
        assert_eq!(beamline.fee(1, 540), Some(3_000_000));
        // Any use at all is a shift; half a shift more rounds up.
        assert_eq!(beamline.fee(1, 30), Some(3_000_000));
        assert_eq!(beamline.fee(2, 720), Some(12_000_000));
        assert_eq!(beamline.per_unit_hour(), 375_000);
        let hourly = Tariff {
            rate: 60_000,
            shift_min: None,
        };
        assert_eq!(hourly.fee(1, 90), Some(90_000));
        assert_eq!(hourly.per_unit_hour(), 60_000);
    }

    fn nmr() -> Service<'static> {
        Service {
            provider_province: Province::SH,
            kind: ResourceKind::Instrument,
            category: "analytical",
            purpose: PurposeKind::Research,
        }
    }

    #[test]
    fn fees_round_half_up_to_the_fen() {
        assert_eq!(gross_fee(80_000, 1, 120), Some(160_000));
        assert_eq!(gross_fee(1, 1, 30), Some(1), "half a fen rounds up");
        assert_eq!(gross_fee(1, 1, 29), Some(0));
        assert_eq!(gross_fee(1500, 8, 90), Some(18_000));
        let longest = 366 * 24 * 60;
        assert!(
            gross_fee(MAX_RATE_FEN, 1_000_000, longest).is_some(),
            "the bounds fit"
        );
        assert_eq!(gross_fee(10_000_000_000, 1, 60_000_000_000), None);
        assert!(fee_for(Fen::MAX, 2, 60, "end").is_err());
        assert!(add_fees(Fen::MAX, 1, "unit_hours").is_err());
    }

    #[test]
    fn category_follows_the_booker() {
        assert_eq!(
            customer_category(3, OrgKind::Institution, 3),
            CustomerCategory::Internal
        );
        assert_eq!(
            customer_category(4, OrgKind::Institution, 3),
            CustomerCategory::Academic
        );
        assert_eq!(
            customer_category(5, OrgKind::Enterprise, 3),
            CustomerCategory::Enterprise
        );
    }

    #[test]
    fn each_limit_is_named() {
        let open = Standing {
            usable: true,
            available: 1_000_000,
            cap_left: 1_000_000,
        };
        assert_eq!(
            split(160_001, &terms(), open, &nmr()),
            Split {
                gross: 160_001,
                voucher_share: 80_000,
                co_payment: 80_001,
                limited_by: Some(Limit::CoverageRatio)
            }
        );
        let poor = Standing {
            available: 30_000,
            ..open
        };
        assert_eq!(
            split(160_000, &terms(), poor, &nmr()).limited_by,
            Some(Limit::RemainingBalance)
        );
        let capped = Standing {
            cap_left: 10_000,
            ..open
        };
        assert_eq!(
            split(160_000, &terms(), capped, &nmr()).voucher_share,
            10_000
        );
        let mut elsewhere = nmr();
        elsewhere.provider_province = Province::ZJ;
        let mut own_province = terms();
        own_province.accepted_provinces = vec![Province::JS];
        assert_eq!(
            split(100, &own_province, open, &elsewhere).limited_by,
            Some(Limit::ProviderProvinceNotAccepted)
        );
        let mut gpu = nmr();
        gpu.kind = ResourceKind::Computing;
        assert_eq!(
            split(100, &terms(), open, &gpu).limited_by,
            Some(Limit::IneligibleKind)
        );
        let mut certification = nmr();
        certification.purpose = PurposeKind::StatutoryCertification;
        assert_eq!(split(100, &terms(), open, &certification).voucher_share, 0);
        assert_eq!(
            split(
                100,
                &terms(),
                Standing {
                    usable: false,
                    ..open
                },
                &nmr()
            )
            .limited_by,
            Some(Limit::VoucherNotUsable)
        );
    }

    #[test]
    fn shares_never_exceed_any_bound_and_always_add_up() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..100_000 {
            let gross = rng.random_range(0..10_000_000_000i64);
            let t = Terms {
                ratio_bps: rng.random_range(0..=10_000),
                ..terms()
            };
            let s = Standing {
                usable: true,
                available: rng.random_range(-5..5_000_000_000),
                cap_left: rng.random_range(-5..5_000_000_000),
            };
            let out = split(gross, &t, s, &nmr());
            assert_eq!(out.voucher_share + out.co_payment, gross);
            assert!(out.voucher_share >= 0);
            assert!(
                out.voucher_share <= s.available.max(0) && out.voucher_share <= s.cap_left.max(0)
            );
            assert!(
                i128::from(out.voucher_share) * 10_000
                    <= i128::from(gross) * i128::from(t.ratio_bps),
                "rounded down"
            );
        }
    }
}
