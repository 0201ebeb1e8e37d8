//! A catalogue resource's writable fields, their defaults per kind, and the rules they obey.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ids::{OrganizationId, UserId};
use super::money::MAX_RATE_FEN;
use super::types::{
    ApprovalPolicy, ConflictPolicy, RatePer, ResourceKind, ResourceStatus, SelfOperation,
};
use super::{Checks, Issue};

const MINUTES_PER_DAY: i32 = 1440;

/// Booking rules as a client may send them: anything left out takes the kind's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingRulesInput {
    pub granularity_min: Option<i32>,
    pub min_duration_min: Option<i32>,
    pub max_duration_min: Option<i32>,
    pub lead_time_min: Option<i32>,
    pub cancel_lead_time_min: Option<i32>,
    pub advance_window_days: Option<i32>,
    pub setup_min: Option<i32>,
    pub teardown_min: Option<i32>,
    pub no_show_grace_min: Option<i32>,
}

/// Booking rules with every value decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRules {
    pub granularity_min: i32,
    pub min_duration_min: i32,
    pub max_duration_min: i32,
    pub lead_time_min: i32,
    pub cancel_lead_time_min: i32,
    pub advance_window_days: i32,
    pub setup_min: i32,
    pub teardown_min: i32,
    /// Minutes after the start within which someone must check in, or it is a no-show.
    pub no_show_grace_min: i32,
}

/// Price in fen for each customer category, per unit-hour or per shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub internal: i64,
    pub academic: i64,
    pub enterprise: i64,
    #[serde(default = "per_unit_hour")]
    pub per: RatePer,
}

fn per_unit_hour() -> RatePer {
    RatePer::UnitHour
}

/// Everything a manager writes about a resource. Create takes it with defaults; update takes a
/// JSON merge patch of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceFields {
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    pub kind: ResourceKind,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    #[serde(default)]
    pub specs: Map<String, Value>,
    pub original_value_cny: i64,
    pub jurisdiction_code: String,
    #[serde(default)]
    pub location: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_status")]
    pub status: ResourceStatus,
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default = "default_capacity")]
    pub capacity: i64,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub booking_rules: BookingRulesInput,
    #[serde(default = "default_approval")]
    pub approval_policy: ApprovalPolicy,
    #[serde(default = "default_conflict")]
    pub conflict_policy: ConflictPolicy,
    pub rates: Rates,
    #[serde(default)]
    pub requires_qualification: bool,
    /// Refuse bookings by users not qualified through the booking's end, rather than assist them.
    #[serde(default)]
    pub qualified_only: bool,
    #[serde(default)]
    pub operator_ids: Vec<UserId>,
}

fn default_timezone() -> String {
    "Asia/Shanghai".into()
}
fn default_status() -> ResourceStatus {
    ResourceStatus::Active
}
fn default_capacity() -> i64 {
    1
}
fn default_approval() -> ApprovalPolicy {
    ApprovalPolicy::Manual
}
fn default_conflict() -> ConflictPolicy {
    ConflictPolicy::FirstCome
}

/// The unit of booking a kind gets when none is named.
pub fn default_unit(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Instrument => "instrument",
        ResourceKind::Facility => "station",
        ResourceKind::Computing => "node",
    }
}

impl BookingRulesInput {
    /// Fills what was left out: instruments book in short slots soon, facilities in shifts planned
    /// days ahead, computing by the hour up to a month.
    pub fn resolve(&self, kind: ResourceKind) -> BookingRules {
        let (gran, max, lead, cancel, advance) = match kind {
            ResourceKind::Instrument => (30, 12 * 60, 60, 24 * 60, 90),
            ResourceKind::Facility => (480, 72 * 60, 24 * 60, 72 * 60, 180),
            ResourceKind::Computing => (60, 30 * MINUTES_PER_DAY, 0, 60, 180),
        };
        let granularity_min = self.granularity_min.unwrap_or(gran);
        let min_duration_min = self.min_duration_min.unwrap_or(granularity_min);
        BookingRules {
            granularity_min,
            min_duration_min,
            max_duration_min: self.max_duration_min.unwrap_or(max.max(min_duration_min)),
            lead_time_min: self.lead_time_min.unwrap_or(lead),
            cancel_lead_time_min: self.cancel_lead_time_min.unwrap_or(cancel),
            advance_window_days: self.advance_window_days.unwrap_or(advance),
            setup_min: self.setup_min.unwrap_or(0),
            teardown_min: self.teardown_min.unwrap_or(0),
            no_show_grace_min: self.no_show_grace_min.unwrap_or(30),
        }
    }
}

impl From<BookingRules> for BookingRulesInput {
    fn from(r: BookingRules) -> BookingRulesInput {
        BookingRulesInput {
            granularity_min: Some(r.granularity_min),
            min_duration_min: Some(r.min_duration_min),
            max_duration_min: Some(r.max_duration_min),
            lead_time_min: Some(r.lead_time_min),
            cancel_lead_time_min: Some(r.cancel_lead_time_min),
            advance_window_days: Some(r.advance_window_days),
            setup_min: Some(r.setup_min),
            teardown_min: Some(r.teardown_min),
            no_show_grace_min: Some(r.no_show_grace_min),
        }
    }
}

impl ResourceFields {
    pub fn rules(&self) -> BookingRules {
        self.booking_rules.resolve(self.kind)
    }

    pub fn unit_or_default(&self) -> String {
        self.unit
            .clone()
            .unwrap_or_else(|| default_unit(self.kind).to_owned())
    }

    /// Every rule a resource must obey on its own; references to other rows are checked by the
    /// database layer.
    pub fn validate(&self) -> Vec<Issue> {
        let mut issues = self.description_issues();
        issues.extend(self.offer_issues());
        issues.extend(validate_rules(&self.rules()));
        issues.extend(validate_specs(&self.specs));
        issues
    }

    /// What the resource is: names, category, location, value and time zone.
    fn description_issues(&self) -> Vec<Issue> {
        let mut c = Checks::default();
        for (field, text, max) in [
            ("name_en", &self.name_en, 200),
            ("name_zh", &self.name_zh, 200),
            ("category", &self.category, 100),
        ] {
            c.check(
                super::text_fits(text, max),
                field,
                format!("must be 1 to {max} characters on one line, without control characters"),
            );
        }
        c.check(
            self.location.chars().count() <= 300
                && super::bad_char(&self.location, false).is_none(),
            "location",
            "must be at most 300 characters on one line, without control characters",
        );
        c.check(
            self.original_value_cny >= 0,
            "original_value_cny",
            "must not be negative",
        );
        c.check(
            self.timezone.parse::<chrono_tz::Tz>().is_ok(),
            "timezone",
            format!(
                "{:?} is not an IANA time zone such as Asia/Shanghai",
                self.timezone
            ),
        );
        c.issues()
    }

    /// How it is offered: capacity, unit, status and rates.
    fn offer_issues(&self) -> Vec<Issue> {
        let mut c = Checks::default();
        c.check(
            (1..=1_000_000).contains(&self.capacity),
            "capacity",
            "must be between 1 and 1000000",
        );
        let unit = self.unit_or_default();
        c.check(
            !unit.trim().is_empty() && unit.chars().count() <= 40,
            "unit",
            "must be 1 to 40 characters",
        );
        c.check(
            self.status != ResourceStatus::Retired,
            "status",
            "retire a resource with POST /api/v1/resources/{id}/retire",
        );
        c.check(
            self.status_reason
                .as_deref()
                .is_none_or(|r| r.chars().count() <= 500 && super::bad_char(r, true).is_none()),
            "status_reason",
            "must be at most 500 characters, without control characters",
        );
        c.check(
            self.rates.per == RatePer::UnitHour || self.kind != ResourceKind::Computing,
            "rates.per",
            "computing is priced per unit-hour, as its allocations are",
        );
        c.check(
            !self.qualified_only || self.requires_qualification,
            "qualified_only",
            "takes effect only with requires_qualification: true; set both",
        );
        for (field, value) in [
            ("rates.internal", self.rates.internal),
            ("rates.academic", self.rates.academic),
            ("rates.enterprise", self.rates.enterprise),
        ] {
            c.check(
                (0..=MAX_RATE_FEN).contains(&value),
                field,
                format!("must be between 0 and {MAX_RATE_FEN} fen per unit-hour or shift"),
            );
        }
        c.issues()
    }

    /// Who may run the resource alone, as stored.
    pub fn self_operation(&self) -> SelfOperation {
        match (self.requires_qualification, self.qualified_only) {
            (false, _) => SelfOperation::Open,
            (true, false) => SelfOperation::Assisted,
            (true, true) => SelfOperation::QualifiedOnly,
        }
    }

    /// Numeric specifications, which searches compare.
    pub fn numeric_specs(&self) -> Vec<(String, f64)> {
        self.specs
            .iter()
            .filter_map(|(k, v)| v.as_f64().map(|n| (k.clone(), n)))
            .collect()
    }

    /// Lower-case text that free-text search matches: names, category, specifications and the
    /// owning institution's names.
    pub fn search_text(&self, institution_en: &str, institution_zh: &str) -> String {
        let specs: Vec<String> = self
            .specs
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect();
        [
            self.name_en.as_str(),
            &self.name_zh,
            &self.category,
            &specs.join(" "),
            institution_en,
            institution_zh,
        ]
        .join(" | ")
        .to_lowercase()
    }
}

fn validate_rules(r: &BookingRules) -> Vec<Issue> {
    let mut c = Checks::under("booking_rules");
    let g = r.granularity_min;
    c.check(
        (1..=MINUTES_PER_DAY).contains(&g) && MINUTES_PER_DAY % g.max(1) == 0,
        "granularity_min",
        "must divide a day evenly (for example 15, 30, 60, 240 or 480)",
    );
    let aligned = |m: i32| g > 0 && m % g == 0;
    c.check(
        r.min_duration_min >= g && aligned(r.min_duration_min),
        "min_duration_min",
        format!("must be a positive multiple of the granularity ({g} min)"),
    );
    c.check(
        r.max_duration_min >= r.min_duration_min
            && aligned(r.max_duration_min)
            && r.max_duration_min <= 366 * MINUTES_PER_DAY,
        "max_duration_min",
        format!("must be a multiple of {g} min, at least min_duration_min and at most 366 days"),
    );
    for (field, value, max) in [
        ("lead_time_min", r.lead_time_min, 366 * MINUTES_PER_DAY),
        (
            "cancel_lead_time_min",
            r.cancel_lead_time_min,
            366 * MINUTES_PER_DAY,
        ),
        ("setup_min", r.setup_min, MINUTES_PER_DAY),
        ("teardown_min", r.teardown_min, MINUTES_PER_DAY),
        ("no_show_grace_min", r.no_show_grace_min, MINUTES_PER_DAY),
    ] {
        c.check(
            (0..=max).contains(&value),
            field,
            format!("must be between 0 and {max}"),
        );
    }
    c.check(
        (1..=730).contains(&r.advance_window_days),
        "advance_window_days",
        "must be between 1 and 730",
    );
    c.issues()
}

fn validate_specs(specs: &Map<String, Value>) -> Vec<Issue> {
    let mut issues = Vec::new();
    if specs.len() > 50 {
        issues.push(Issue::field("specs", "at most 50 specifications"));
    }
    for (key, value) in specs {
        let key_ok = key.len() <= 64
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            issues.push(Issue::field(
                format!("specs.{key}"),
                "keys are snake_case: a-z, 0-9 and _, starting with a letter, at most 64",
            ));
        }
        let value_ok = match value {
            Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
            Value::String(s) => s.chars().count() <= 200 && super::bad_char(s, false).is_none(),
            _ => false,
        };
        if !value_ok {
            issues.push(Issue::field(
                format!("specs.{key}"),
                "values are numbers or strings of at most 200 characters",
            ));
        }
    }
    issues
}

/// Parses `key=value;key=value` specifications; numbers become numbers.
pub fn parse_spec_pairs(text: &str) -> Result<Map<String, Value>, String> {
    let mut specs = Map::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("specification {pair:?} is not key=value"))?;
        let v = v.trim();
        let value = if let Ok(n) = v.parse::<i64>() {
            Value::from(n)
        } else {
            match v.parse::<f64>() {
                Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Value::Number),
                _ => None,
            }
            .unwrap_or_else(|| Value::String(v.to_owned()))
        };
        specs.insert(k.trim().to_owned(), value);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ResourceFields {
        serde_json::from_value(serde_json::json!({
            "kind": "instrument", "name_en": "NMR", "name_zh": "核磁", "category": "analytical",
            "original_value_cny": 6000000, "jurisdiction_code": "310100",
            "rates": {"internal": 1, "academic": 2, "enterprise": 3},
            "specs": {"field_mhz": 600, "probe": "cryo"}
        }))
        .unwrap()
    }

    #[test]
    fn defaults_fill_in_by_kind() {
        let r = sample();
        assert!(r.validate().is_empty(), "{:?}", r.validate());
        assert_eq!(r.rules().granularity_min, 30);
        assert_eq!(r.unit_or_default(), "instrument");
        assert_eq!(r.numeric_specs(), vec![("field_mhz".to_owned(), 600.0)]);
    }

    #[test]
    fn misaligned_rules_are_named() {
        let mut r = sample();
        r.booking_rules.granularity_min = Some(50);
        r.booking_rules.min_duration_min = Some(75);
        let fields: Vec<String> = r.validate().into_iter().filter_map(|i| i.field).collect();
        assert!(fields.contains(&"booking_rules.granularity_min".to_owned()));
        assert!(fields.contains(&"booking_rules.min_duration_min".to_owned()));
    }

    #[test]
    fn spec_pairs_keep_numbers_numeric() {
        let specs = parse_spec_pairs("field_mhz=800;probe=cryoprobe").unwrap();
        assert_eq!(specs["field_mhz"], serde_json::json!(800));
        assert_eq!(specs["probe"], serde_json::json!("cryoprobe"));
        assert!(parse_spec_pairs("oops").is_err());
    }

    #[test]
    fn bad_timezone_is_reported() {
        let mut r = sample();
        r.timezone = "Mars/Olympus".into();
        assert_eq!(r.validate()[0].field.as_deref(), Some("timezone"));
    }
}
