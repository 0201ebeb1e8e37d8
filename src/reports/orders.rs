//! Delivered service orders in the sharing report, counted apart from hours: each with its
//! resource's group or, for a service on no one resource, with its institution's (at instrument
//! level, a line of its own per service).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::{Level, Resource, group};
use crate::db::service_orders::{Delivered, delivered_between};
use crate::db::{DbConnection, jurisdictions, organizations, services};
use crate::domain::ids::{OrganizationId, ServiceId};
use crate::domain::sharing::{Orders, Totals};
use crate::error::ServiceError;

use super::Scope;

/// A report's groups: key → names, resources counted and totals.
pub(super) type Groups = BTreeMap<String, (String, String, usize, Totals)>;

/// Where an order on no resource is grouped at `level`.
fn unplaced_group(
    conn: &mut DbConnection,
    o: &Delivered,
    level: Level,
) -> Result<(String, String, String), ServiceError> {
    if level == Level::Instrument {
        let s = services::find(conn, ServiceId(o.service_id))?
            .ok_or_else(|| ServiceError::internal("order without service"))?;
        return Ok((format!("service-{}", s.id), s.name_en, s.name_zh));
    }
    let org = organizations::find(conn, OrganizationId(o.provider_id))?
        .ok_or_else(|| ServiceError::internal("order without institution"))?;
    let j = jurisdictions::find(conn, &org.jurisdiction_code)?
        .ok_or_else(|| ServiceError::internal("institution without jurisdiction"))?;
    Ok(match level {
        Level::Institution => (org.id.to_string(), org.name_en, org.name_zh),
        Level::City => (j.code, j.name_en, j.name_zh),
        Level::Province => (j.province.clone(), j.province.clone(), j.province),
        _ => ("YRD".into(), "Yangtze River Delta".into(), "长三角".into()),
    })
}

/// Adds the orders delivered in `[from, to)` within `scope` to their groups and to `all`.
pub(super) fn add(
    conn: &mut DbConnection,
    (scope, level): (Scope, Level),
    (from, to): (NaiveDateTime, NaiveDateTime),
    resources: &[(Resource, i64)],
    (groups, all): (&mut Groups, &mut Totals),
) -> Result<(), ServiceError> {
    let by_id: HashMap<i64, &Resource> = resources.iter().map(|(r, _)| (r.row.id, r)).collect();
    // Orders on no resource have no original value or resource to filter by.
    let unplaced_allowed = scope.resource.is_none() && !scope.large_only;
    // Looked up once per service: many orders share one.
    let mut unplaced: HashMap<i64, (String, String, String)> = HashMap::new();
    for o in delivered_between(conn, scope.institution, (from, to))? {
        let (key, en, zh) = match o.resource_id.and_then(|r| by_id.get(&r)) {
            Some(r) => group(r, level),
            None if o.resource_id.is_none() && unplaced_allowed => {
                match unplaced.get(&o.service_id) {
                    Some(g) => g.clone(),
                    None => {
                        let g = unplaced_group(conn, &o, level)?;
                        unplaced.insert(o.service_id, g.clone());
                        g
                    }
                }
            }
            None => continue,
        };
        let external = o.organization_id != o.provider_id;
        let one = Orders::one(
            o.samples_measured.unwrap_or(0),
            o.final_gross_fen.unwrap_or(0),
            external,
        );
        let entry = groups
            .entry(key)
            .or_insert_with(|| (en, zh, 0, Totals::default()));
        entry.3.orders.add(&one);
        all.orders.add(&one);
    }
    Ok(())
}
