//! The cross-province flow matrices: hours, fees and voucher amounts from the users' province
//! (and from the voucher issuers' province) to the providers' province, and apart from them the
//! service orders delivered, with their fees and what vouchers paid of them.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::Scope;
use crate::db::DbConnection;
use crate::db::reports as load;
use crate::db::service_orders::{Delivered, delivered_between};
use crate::domain::spreadsheet::Sheet;
use crate::error::ServiceError;

/// One cell of a flow matrix.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Flow {
    pub from_province: String,
    pub provider_province: String,
    pub hours: f64,
    pub fee_fen: i64,
    pub voucher_fen: i64,
    pub uses: i64,
    pub service_orders: i64,
    pub service_order_fee_fen: i64,
    pub service_order_voucher_fen: i64,
}

#[derive(Default)]
struct Cell {
    unit_minutes: i64,
    fee: i64,
    voucher: i64,
    uses: i64,
    orders: i64,
    order_fee: i64,
    order_voucher: i64,
}

impl Cell {
    fn add(&mut self, s: &load::Sum) {
        self.unit_minutes = self.unit_minutes.saturating_add(s.unit_minutes);
        self.fee = self.fee.saturating_add(s.fee_fen);
        self.voucher = self.voucher.saturating_add(s.voucher_fen);
        self.uses = self.uses.saturating_add(s.uses);
    }

    fn add_order(&mut self, o: &Delivered) {
        self.orders = self.orders.saturating_add(1);
        self.order_fee = self
            .order_fee
            .saturating_add(o.final_gross_fen.unwrap_or(0));
        self.order_voucher = self
            .order_voucher
            .saturating_add(o.final_voucher_fen.unwrap_or(0));
    }
}

fn cells(map: BTreeMap<(String, String), Cell>) -> Vec<Flow> {
    map.into_iter()
        .map(|((from_province, provider_province), c)| Flow {
            from_province,
            provider_province,
            hours: (c.unit_minutes as f64 / 60.0 * 100.0).round() / 100.0,
            fee_fen: c.fee,
            voucher_fen: c.voucher,
            uses: c.uses,
            service_orders: c.orders,
            service_order_fee_fen: c.order_fee,
            service_order_voucher_fen: c.order_voucher,
        })
        .collect()
}

/// Provinces of every organisation, every resource in scope and every voucher's issuer.
struct Places {
    orgs: HashMap<i64, String>,
    resources: HashMap<i64, String>,
    issuers: HashMap<i64, String>,
    /// Resources at or above their province's large-instrument threshold.
    large: std::collections::HashSet<i64>,
}

fn places(conn: &mut DbConnection, scope: Scope) -> Result<Places, ServiceError> {
    let (orgs, issuers) = crate::db::reports::provinces(conn)?;
    let all = crate::db::resources::joined_all(conn, scope.institution)?;
    let large = all
        .iter()
        .filter(|(r, _, place)| {
            crate::domain::sharing::is_large(r.original_value_cny, &place.province)
        })
        .map(|(r, _, _)| r.id)
        .collect();
    let resources = all
        .into_iter()
        .map(|(r, _, place)| (r.id, place.province))
        .collect();
    Ok(Places {
        orgs,
        resources,
        issuers,
        large,
    })
}

/// The matrices over `[from, to)`: by the users' province and by the voucher issuers' province,
/// each against the providers' province. Hours where use falls; fees and voucher amounts in the
/// period the use ended in (for computing, when the voucher paid as usage was recorded).
pub fn flows(
    conn: &mut DbConnection,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<(Vec<Flow>, Vec<Flow>), ServiceError> {
    let places = places(conn, scope)?;
    let loaded = load::period(conn, scope, from, to)?;
    let (mut by_user, mut by_issuer) = (BTreeMap::new(), BTreeMap::new());
    for (key, sum) in &loaded.sums {
        let Some(provider) = places.resources.get(&key.resource) else {
            continue;
        };
        let user = places
            .orgs
            .get(&key.organization)
            .cloned()
            .unwrap_or_default();
        let cell: &mut Cell = by_user.entry((user, provider.clone())).or_default();
        cell.add(sum);
        if let Some(issuer) = key.voucher.and_then(|id| places.issuers.get(&id)) {
            let cell: &mut Cell = by_issuer
                .entry((issuer.clone(), provider.clone()))
                .or_default();
            cell.add(sum);
        }
    }
    let orders = delivered_between(conn, scope.institution, (from, to))?;
    for o in orders.iter().filter(|o| counted(o, scope, &places)) {
        let provider = places.orgs.get(&o.provider_id).cloned().unwrap_or_default();
        let user = places
            .orgs
            .get(&o.organization_id)
            .cloned()
            .unwrap_or_default();
        let cell: &mut Cell = by_user.entry((user, provider.clone())).or_default();
        cell.add_order(o);
        if let Some(issuer) = o.voucher_id.and_then(|id| places.issuers.get(&id)) {
            let cell: &mut Cell = by_issuer.entry((issuer.clone(), provider)).or_default();
            cell.add_order(o);
        }
    }
    Ok((cells(by_user), cells(by_issuer)))
}

/// Whether a delivered order falls in `scope`: on a resource in it, or (when the scope names no
/// resource and no value threshold) on no resource at all.
fn counted(o: &Delivered, scope: Scope, places: &Places) -> bool {
    match o.resource_id {
        Some(r) => {
            places.resources.contains_key(&r)
                && scope.resource.is_none_or(|s| s == r)
                && (!scope.large_only || places.large.contains(&r))
        }
        None => scope.resource.is_none() && !scope.large_only,
    }
}

/// Both matrices as CSV: one row per cell, `matrix` saying which (`user` or `issuer`).
pub fn flows_csv(by_user: &[Flow], by_issuer: &[Flow]) -> Result<String, ServiceError> {
    let mut w = Sheet::default();
    w.row([
        "matrix",
        "from_province",
        "provider_province",
        "hours",
        "fee_fen",
        "voucher_fen",
        "uses",
        "service_orders",
        "service_order_fee_fen",
        "service_order_voucher_fen",
    ])
    .map_err(ServiceError::internal)?;
    for (matrix, flows) in [("user", by_user), ("issuer", by_issuer)] {
        for f in flows {
            w.row([
                matrix.to_owned(),
                f.from_province.clone(),
                f.provider_province.clone(),
                f.hours.to_string(),
                f.fee_fen.to_string(),
                f.voucher_fen.to_string(),
                f.uses.to_string(),
                f.service_orders.to_string(),
                f.service_order_fee_fen.to_string(),
                f.service_order_voucher_fen.to_string(),
            ])
            .map_err(ServiceError::internal)?;
        }
    }
    w.finish().map_err(ServiceError::internal)
}
