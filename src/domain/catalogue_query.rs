//! A catalogue search as a query string states it: kind, province, status, category, city,
//! institution, value, free-text terms and numeric specification filters. Parsing it is pure;
//! every criterion given must hold.

use super::types::{Province, ResourceKind, ResourceStatus};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpecOp {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpecFilter {
    pub key: String,
    pub op: SpecOp,
    pub value: f64,
}

/// Catalogue search criteria; every one given must hold.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    pub kind: Option<String>,
    pub category: Option<String>,
    pub province: Option<String>,
    pub jurisdiction_codes: Option<Vec<String>>,
    pub organization_id: Option<i64>,
    pub statuses: Vec<ResourceStatus>,
    pub min_value_cny: Option<i64>,
    pub terms: Vec<String>,
    pub specs: Vec<SpecFilter>,
}

/// A parsed catalogue query: the filter, the city asked for, paging as sent, and the parameters
/// the caller declared besides the catalogue's own.
#[derive(Debug, Default)]
pub struct CatalogueQuery {
    pub filter: ResourceFilter,
    pub city: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub extra: std::collections::HashMap<String, String>,
}

/// Parses `key>=number` (also <=, >, <, =) for numeric specification filters.
pub fn parse_spec(text: &str) -> Result<SpecFilter, String> {
    for (token, op) in [
        (">=", SpecOp::Ge),
        ("<=", SpecOp::Le),
        (">", SpecOp::Gt),
        ("<", SpecOp::Lt),
        ("=", SpecOp::Eq),
    ] {
        if let Some((key, value)) = text.split_once(token) {
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| {
                    format!("spec {text:?}: the value must be a number, as in field_mhz>=600")
                })?;
            return Ok(SpecFilter {
                key: key.trim().to_owned(),
                op,
                value,
            });
        }
    }
    Err(format!(
        "spec {text:?} must be key>=number, key<=number, key>number, key<number or key=number"
    ))
}

/// `value` if it is one of `T`'s words, else what to send instead.
fn one_of<T>(
    key: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    choices: String,
) -> Result<T, String> {
    parse(value).ok_or_else(|| format!("{key} must be one of {choices}"))
}

fn number<T: std::str::FromStr>(value: &str, message: &str) -> Result<T, String> {
    value.parse().map_err(|_| message.to_owned())
}

/// Applies one criterion of the catalogue's own; false when `key` is not one of them.
fn apply(q: &mut CatalogueQuery, key: &str, value: String) -> Result<bool, String> {
    let f = &mut q.filter;
    match key {
        "kind" => {
            one_of(key, &value, ResourceKind::parse, ResourceKind::choices())?;
            f.kind = Some(value)
        }
        "province" => {
            one_of(key, &value, Province::parse, Province::choices())?;
            f.province = Some(value)
        }
        "status" => {
            f.statuses = vec![one_of(
                key,
                &value,
                ResourceStatus::parse,
                ResourceStatus::choices(),
            )?]
        }
        "category" => f.category = Some(value),
        "city" => q.city = Some(value),
        "institution_id" => {
            f.organization_id = Some(number(&value, "institution_id must be an integer")?)
        }
        "min_value_cny" => {
            f.min_value_cny = Some(number(
                &value,
                "min_value_cny must be a whole number of yuan",
            )?)
        }
        "q" => {
            f.terms = value
                .split_whitespace()
                .take(10)
                .map(str::to_owned)
                .collect()
        }
        "spec" => f.specs.push(parse_spec(&value)?),
        "limit" => q.limit = Some(number(&value, "limit must be an integer")?),
        "cursor" => q.cursor = Some(value),
        _ => return Ok(false),
    }
    Ok(true)
}

/// Reads the query string's pairs (`spec` may repeat); parameters in `extra_keys` are kept aside,
/// any other unknown one is refused. Without a status, active and suspended resources are listed.
pub fn parse(pairs: Vec<(String, String)>, extra_keys: &[&str]) -> Result<CatalogueQuery, String> {
    let mut q = CatalogueQuery::default();
    for (key, value) in pairs {
        if apply(&mut q, &key, value.clone())? {
            continue;
        }
        if !extra_keys.contains(&key.as_str()) {
            return Err(format!("unknown query parameter {key:?}"));
        }
        q.extra.insert(key, value);
    }
    if q.filter.statuses.is_empty() {
        q.filter.statuses = vec![ResourceStatus::Active, ResourceStatus::Suspended];
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn criteria_combine_and_bad_ones_say_what_to_send() {
        let q = parse(
            pairs(&[
                ("q", "nmr 800"),
                ("spec", "field_mhz>=600"),
                ("province", "SH"),
                ("at", "x"),
            ]),
            &["at"],
        )
        .unwrap();
        assert_eq!(q.filter.terms, ["nmr", "800"]);
        assert_eq!(q.filter.specs[0].op, SpecOp::Ge);
        assert_eq!(
            q.filter.statuses,
            [ResourceStatus::Active, ResourceStatus::Suspended]
        );
        assert_eq!(q.extra["at"], "x");
        let err = parse(pairs(&[("province", "XX")]), &[]).unwrap_err();
        assert_eq!(err, "province must be one of SH, JS, ZJ, AH");
        assert!(parse(pairs(&[("spec", "field_mhz>=lots")]), &[]).is_err());
        assert!(
            parse(pairs(&[("colour", "red")]), &[])
                .unwrap_err()
                .contains("colour")
        );
    }
}
