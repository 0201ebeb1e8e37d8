//! A voucher programme as an issuing agency defines it, and what makes a definition valid.

use chrono::NaiveDate;

use super::types::{Province, ResourceKind};
use super::{Checks, Issue, date_in_range, date_range_message, text_fits};

/// A programme to define: its code, names, coverage, cap, validity and eligibility.
#[derive(Debug, Clone)]
pub struct ProgramDraft {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub kind: String,
    pub ratio_bps: i64,
    pub annual_cap_fen: i64,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub accepted_provinces: Vec<Province>,
    pub eligible_kinds: Vec<ResourceKind>,
    pub eligible_categories: Vec<String>,
}

fn is_code(code: &str) -> bool {
    (2..=20).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

fn is_word(text: &str, max: usize) -> bool {
    text_fits(text, max) && !text.contains(char::is_whitespace)
}

impl ProgramDraft {
    /// Every field that is wrong, with what to send instead; empty when the draft is valid.
    pub fn issues(&self) -> Vec<Issue> {
        let mut c = Checks::default();
        self.check_words(&mut c);
        self.check_terms(&mut c);
        c.issues()
    }

    /// The code, names and kind.
    fn check_words(&self, c: &mut Checks) {
        c.check(
            is_code(&self.code),
            "code",
            "2 to 20 characters: A-Z, 0-9 and -",
        );
        for (field, name) in [("name_en", &self.name_en), ("name_zh", &self.name_zh)] {
            c.check(text_fits(name, 200), field, "must be 1 to 200 characters");
        }
        let kind = "one word of at most 40 characters, such as innovation or computing";
        c.check(is_word(&self.kind, 40), "kind", kind);
    }

    /// The ratio, cap, validity, and where and on what it may be spent.
    fn check_terms(&self, c: &mut Checks) {
        let ratio = "must be between 1 and 10000 basis points";
        c.check((1..=10_000).contains(&self.ratio_bps), "ratio_bps", ratio);
        let cap = "must not be negative";
        c.check(self.annual_cap_fen >= 0, "annual_cap_fen", cap);
        let from = date_range_message();
        c.check(date_in_range(self.valid_from), "valid_from", from);
        let until_ok = self.valid_from <= self.valid_until && date_in_range(self.valid_until);
        let until = "must not be before valid_from, nor after 2100";
        c.check(until_ok, "valid_until", until);
        let provinces = "name at least one province";
        c.check(
            !self.accepted_provinces.is_empty(),
            "accepted_provinces",
            provinces,
        );
        let kinds = "name at least one kind";
        c.check(!self.eligible_kinds.is_empty(), "eligible_kinds", kinds);
        let categories_ok = self.eligible_categories.iter().all(|c| is_word(c, 100));
        let why = "categories are single words of at most 100 characters";
        c.check(categories_ok, "eligible_categories", why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProgramDraft {
        ProgramDraft {
            code: "JS-IS".into(),
            name_en: "Jiangsu innovation vouchers".into(),
            name_zh: "江苏创新券".into(),
            kind: "innovation".into(),
            ratio_bps: 5_000,
            annual_cap_fen: 100_000,
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
            accepted_provinces: vec![Province::JS, Province::SH],
            eligible_kinds: vec![ResourceKind::Instrument],
            eligible_categories: Vec::new(),
        }
    }

    #[test]
    fn a_valid_draft_has_no_issues_and_each_rule_names_its_field() {
        assert!(draft().issues().is_empty());
        let bad = ProgramDraft {
            code: "js is".into(),
            ratio_bps: 10_001,
            valid_until: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            eligible_categories: vec!["two words".into()],
            ..draft()
        };
        let fields: Vec<_> = bad.issues().into_iter().filter_map(|i| i.field).collect();
        assert_eq!(
            fields,
            ["code", "ratio_bps", "valid_until", "eligible_categories"]
        );
    }
}
