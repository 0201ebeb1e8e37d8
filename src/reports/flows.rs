//! The cross-province flow matrices: hours, fees and voucher amounts from the users' province
//! (and from the voucher issuers' province) to the providers' province.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::Scope;
use crate::db::DbConnection;
use crate::db::reports as load;
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
}

#[derive(Default)]
struct Cell {
    unit_minutes: i64,
    fee: i64,
    voucher: i64,
    uses: i64,
}

impl Cell {
    fn add(&mut self, s: &load::Sum) {
        self.unit_minutes = self.unit_minutes.saturating_add(s.unit_minutes);
        self.fee = self.fee.saturating_add(s.fee_fen);
        self.voucher = self.voucher.saturating_add(s.voucher_fen);
        self.uses = self.uses.saturating_add(s.uses);
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
        })
        .collect()
}

/// Provinces of every organisation, every resource in scope and every voucher's issuer.
struct Places {
    orgs: HashMap<i64, String>,
    resources: HashMap<i64, String>,
    issuers: HashMap<i64, String>,
}

fn places(conn: &mut DbConnection, scope: Scope) -> Result<Places, ServiceError> {
    let (orgs, issuers) = crate::db::reports::provinces(conn)?;
    let resources = crate::db::resources::joined_all(conn, scope.institution)?
        .into_iter()
        .map(|(r, _, place)| (r.id, place.province))
        .collect();
    Ok(Places {
        orgs,
        resources,
        issuers,
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
    Ok((cells(by_user), cells(by_issuer)))
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
            ])
            .map_err(ServiceError::internal)?;
        }
    }
    w.finish().map_err(ServiceError::internal)
}
