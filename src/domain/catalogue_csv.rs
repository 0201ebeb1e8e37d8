//! The catalogue CSV (the shape of `data/demo/demo-catalogue.csv`): parsing and per-line checks.
//! Every bad line is reported with its number; the caller writes nothing unless all lines pass.

use super::Issue;
use super::resource::{BookingRulesInput, Rates, ResourceFields, parse_spec_pairs};
use super::types::{
    ApprovalPolicy, ConflictPolicy, Province, RatePer, ResourceKind, ResourceStatus,
};

pub const COLUMNS: [&str; 19] = [
    "kind",
    "name_en",
    "name_zh",
    "institution_en",
    "institution_zh",
    "province",
    "city",
    "category",
    "capacity",
    "unit",
    "granularity_min",
    "timezone",
    "rate_internal",
    "rate_academic",
    "rate_enterprise",
    "value_cny",
    "approval",
    "conflict_policy",
    "specs",
];

/// One parsed line: the resource's fields (jurisdiction still to resolve) and where it belongs.
#[derive(Debug, Clone)]
pub struct CatalogueRow {
    pub line: u64,
    pub institution_en: String,
    pub institution_zh: String,
    pub province: Province,
    pub city: String,
    pub fields: ResourceFields,
}

/// Parses the whole file; returns every row, or every problem found.
pub fn parse(text: &str) -> Result<Vec<CatalogueRow>, Vec<Issue>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => return Err(vec![Issue::line(1, format!("unreadable header: {e}"))]),
    };
    if header != COLUMNS {
        return Err(vec![Issue::line(
            1,
            format!("header must be exactly: {}", COLUMNS.join(",")),
        )]);
    }
    let (mut rows, mut issues) = (Vec::new(), Vec::new());
    for record in reader.records() {
        match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                issues.push(Issue::line(line, format!("unreadable CSV: {e}")));
            }
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                match parse_record(line, &rec) {
                    Ok(row) => rows.push(row),
                    Err(message) => issues.push(Issue::line(line, message)),
                }
            }
        }
    }
    if rows.is_empty() && issues.is_empty() {
        issues.push(Issue::line(2, "the file has no data rows"));
    }
    if issues.is_empty() {
        Ok(rows)
    } else {
        Err(issues)
    }
}

/// One record's cells by column name.
struct Cells<'a>(&'a csv::StringRecord);

impl Cells<'_> {
    fn text(&self, name: &str) -> &str {
        let i = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
        self.0.get(i).unwrap_or("").trim()
    }

    fn owned(&self, name: &str) -> String {
        self.text(name).to_owned()
    }

    fn number(&self, name: &str) -> Result<i64, String> {
        let cell = self.text(name);
        cell.parse::<i64>()
            .map_err(|_| format!("{name} must be a whole number, found {cell:?}"))
    }

    /// A cell naming one of an enumeration's values.
    fn choice<T>(
        &self,
        name: &str,
        parse: fn(&str) -> Option<T>,
        choices: fn() -> String,
    ) -> Result<T, String> {
        let cell = self.text(name);
        parse(cell).ok_or_else(|| format!("{name} {cell:?} is not one of {}", choices()))
    }
}

fn parse_record(line: u64, rec: &csv::StringRecord) -> Result<CatalogueRow, String> {
    if rec.len() != COLUMNS.len() {
        let (want, found) = (COLUMNS.len(), rec.len());
        return Err(format!("expected {want} columns, found {found}"));
    }
    let cells = Cells(rec);
    let fields = resource_fields(&cells)?;
    let province = cells.choice("province", Province::parse, Province::choices)?;
    if let Some(issue) = fields.validate().into_iter().next() {
        let field = issue.field.unwrap_or_default();
        return Err(format!("{field}: {}", issue.message));
    }
    if cells.text("institution_en").is_empty() || cells.text("city").is_empty() {
        return Err("institution_en and city must not be empty".into());
    }
    Ok(CatalogueRow {
        line,
        institution_en: cells.owned("institution_en"),
        institution_zh: cells.owned("institution_zh"),
        province,
        city: cells.owned("city"),
        fields,
    })
}

/// The resource a record describes, not yet validated; its institution is resolved on import.
fn resource_fields(cells: &Cells) -> Result<ResourceFields, String> {
    let granularity = i32::try_from(cells.number("granularity_min")?)
        .map_err(|_| "granularity_min is out of range".to_owned())?;
    Ok(ResourceFields {
        organization_id: None,
        kind: cells.choice("kind", ResourceKind::parse, ResourceKind::choices)?,
        name_en: cells.owned("name_en"),
        name_zh: cells.owned("name_zh"),
        category: cells.owned("category"),
        specs: parse_spec_pairs(cells.text("specs"))?,
        original_value_cny: cells.number("value_cny")?,
        jurisdiction_code: String::new(),
        location: String::new(),
        timezone: cells.owned("timezone"),
        status: ResourceStatus::Active,
        status_reason: None,
        capacity: cells.number("capacity")?,
        unit: Some(cells.owned("unit")),
        booking_rules: BookingRulesInput {
            granularity_min: Some(granularity),
            ..BookingRulesInput::default()
        },
        approval_policy: cells.choice(
            "approval",
            ApprovalPolicy::parse,
            ApprovalPolicy::choices,
        )?,
        conflict_policy: cells.choice(
            "conflict_policy",
            ConflictPolicy::parse,
            ConflictPolicy::choices,
        )?,
        rates: Rates {
            internal: cells.number("rate_internal")?,
            academic: cells.number("rate_academic")?,
            enterprise: cells.number("rate_enterprise")?,
            per: RatePer::UnitHour,
        },
        requires_qualification: false,
        qualified_only: false,
        operator_ids: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "kind,name_en,name_zh,institution_en,institution_zh,province,city,category,capacity,unit,granularity_min,timezone,rate_internal,rate_academic,rate_enterprise,value_cny,approval,conflict_policy,specs\n";

    #[test]
    fn demo_catalogue_parses() {
        let rows = parse(include_str!("../../data/demo/demo-catalogue.csv")).unwrap();
        assert_eq!(rows.len(), 28);
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn bad_lines_are_named() {
        let text = format!(
            "{HEADER}instrument,A,甲,Fudan University,复旦大学,SH,Shanghai,analytical,1,instrument,30,Asia/Shanghai,1,2,3,100,auto,first_come,x=1\n\
             gadget,B,乙,Fudan University,复旦大学,SH,Shanghai,analytical,1,instrument,30,Asia/Shanghai,1,2,3,100,auto,first_come,\n\
             instrument,C,丙,Fudan University,复旦大学,SH,Shanghai,analytical,1,instrument,30,Nowhere/City,1,2,3,100,auto,first_come,\n"
        );
        let issues = parse(&text).unwrap_err();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].line, Some(3));
        assert!(issues[0].message.contains("gadget"));
        assert_eq!(issues[1].line, Some(4));
        assert!(issues[1].message.contains("timezone"));
    }
}
