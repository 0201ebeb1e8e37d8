//! Settlement statements: what vouchers paid providers in a period ("issuer pays"). Each captured
//! amount is a line with its booking, the provider's province and the issuer's; a reversed capture
//! is a negative line in the period of its reversal. Totals per pair of provinces say who owes whom.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

pub mod statements;

pub use crate::db::settlements::Scope;
use crate::db::settlements::{movements, orders_of, resources_of};
use crate::db::vouchers::{self as store, LedgerRow, ProgramRow};
use crate::db::{DbConnection, organizations};
use crate::domain::actor::{Actor, Reach};
use crate::domain::ids::{OrganizationId, ProgramId, ResourceId, ServiceId, VoucherId};
use crate::domain::ledger::Claim;
use crate::domain::spreadsheet::Sheet;
use crate::domain::types::Movement;
use crate::error::ServiceError;

/// Narrows what a statement was asked to cover to what the caller may see: issuers their
/// agency's programmes, managers their institution's resources, admins anything.
pub fn scope_for(actor: &Actor, requested: Scope) -> Result<Scope, ServiceError> {
    match actor.reach() {
        Reach::All => Ok(requested),
        Reach::Agency(org) => Ok(Scope {
            issuer: Some(org.0),
            ..requested
        }),
        Reach::Institution(org) => Ok(Scope {
            provider: Some(org.0),
            ..requested
        }),
        _ => Err(ServiceError::forbidden(
            "settlement statements are for issuers, provider institutions' managers and admins",
        )),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub entry_id: i64,
    pub at: DateTime<Utc>,
    /// `capture`, or `reversal` of a capture (a negative amount).
    pub kind: String,
    pub amount_fen: i64,
    /// The booking paid for, or none and the allocation or service order instead.
    pub booking_id: Option<i64>,
    /// The resource used; none for a service the institution offers on no one resource.
    pub resource_id: Option<i64>,
    pub resource_name_en: Option<String>,
    pub voucher_id: i64,
    pub program_code: String,
    pub enterprise_id: i64,
    pub enterprise_name_en: String,
    pub issuer_id: i64,
    pub issuer_name_en: String,
    pub issuer_province: String,
    pub provider_id: i64,
    pub provider_name_en: String,
    pub provider_province: String,
    pub allocation_id: Option<i64>,
    pub service_order_id: Option<i64>,
    pub service_name_en: Option<String>,
}

/// What the issuers of one province owe the providers of another.
#[derive(Debug, Clone, Serialize)]
pub struct Total {
    pub issuer_province: String,
    pub provider_province: String,
    pub amount_fen: i64,
    pub lines: usize,
}

/// A line's claim → resource (bookings, allocations) and → provider, resource and service
/// (service orders).
type Maps = (
    HashMap<i64, i64>,
    HashMap<i64, i64>,
    HashMap<i64, crate::db::settlements::OrderPlace>,
);

/// Where a line's money went.
struct Place {
    resource: Option<(i64, String)>,
    provider: i64,
    province: String,
    service: Option<String>,
}

/// Names and places looked up once per statement.
#[derive(Default)]
struct Lookup {
    orgs: HashMap<i64, String>,
    resources: HashMap<i64, (String, i64, String)>,
    programs: HashMap<i64, ProgramRow>,
    vouchers: HashMap<i64, (i64, i64)>,
    provinces: HashMap<i64, String>,
    services: HashMap<i64, String>,
}

impl Lookup {
    fn org(&mut self, conn: &mut DbConnection, id: i64) -> Result<String, ServiceError> {
        if let Some(name) = self.orgs.get(&id) {
            return Ok(name.clone());
        }
        let name = organizations::find(conn, OrganizationId(id))?
            .map(|o| o.name_en)
            .unwrap_or_default();
        self.orgs.insert(id, name.clone());
        Ok(name)
    }

    /// A resource's English name, institution and province.
    fn resource(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
    ) -> Result<(String, i64, String), ServiceError> {
        if let Some(r) = self.resources.get(&id) {
            return Ok(r.clone());
        }
        let view = crate::db::resources::find(conn, ResourceId(id))?
            .ok_or_else(|| ServiceError::internal("settled booking without resource"))?;
        let r = (
            view.row.name_en,
            view.row.organization_id,
            view.jurisdiction.province,
        );
        self.resources.insert(id, r.clone());
        Ok(r)
    }

    /// An institution's province.
    fn province(&mut self, conn: &mut DbConnection, org: i64) -> Result<String, ServiceError> {
        if let Some(p) = self.provinces.get(&org) {
            return Ok(p.clone());
        }
        let p = crate::db::services::province_of(conn, org)?.unwrap_or_default();
        self.provinces.insert(org, p.clone());
        Ok(p)
    }

    /// A service's English name.
    fn service(&mut self, conn: &mut DbConnection, id: i64) -> Result<String, ServiceError> {
        if let Some(name) = self.services.get(&id) {
            return Ok(name.clone());
        }
        let name = crate::db::services::find(conn, ServiceId(id))?
            .map(|s| s.name_en)
            .unwrap_or_default();
        self.services.insert(id, name.clone());
        Ok(name)
    }

    /// Where a line's money went: the resource (if any), the provider and its province, and
    /// the service for a service order.
    fn place(
        &mut self,
        conn: &mut DbConnection,
        r: &LedgerRow,
        maps: &Maps,
    ) -> Result<Place, ServiceError> {
        let vanished = || ServiceError::internal("settled claim vanished");
        let resource = match r.claim() {
            Some(Claim::Booking(b)) => *maps.0.get(&b).ok_or_else(vanished)?,
            Some(Claim::Allocation(a)) => *maps.1.get(&a).ok_or_else(vanished)?,
            Some(Claim::ServiceOrder(o)) => {
                let (provider, resource, service) = *maps.2.get(&o).ok_or_else(vanished)?;
                let name = match resource {
                    Some(id) => Some(self.resource(conn, id)?.0),
                    None => None,
                };
                return Ok(Place {
                    resource: resource.zip(name),
                    provider,
                    province: self.province(conn, provider)?,
                    service: Some(self.service(conn, service)?),
                });
            }
            None => return Err(vanished()),
        };
        let (name, provider, province) = self.resource(conn, resource)?;
        Ok(Place {
            resource: Some((resource, name)),
            provider,
            province,
            service: None,
        })
    }

    /// A voucher's programme and enterprise.
    fn voucher(
        &mut self,
        conn: &mut DbConnection,
        id: i64,
    ) -> Result<(ProgramRow, i64), ServiceError> {
        if !self.vouchers.contains_key(&id) {
            let v = store::find_voucher(conn, VoucherId(id))?
                .ok_or_else(|| ServiceError::internal("ledger without voucher"))?;
            if !self.programs.contains_key(&v.program_id) {
                let p = store::find_program(conn, ProgramId(v.program_id))?
                    .ok_or_else(|| ServiceError::internal("voucher without programme"))?;
                self.programs.insert(p.id, p);
            }
            self.vouchers.insert(id, (v.program_id, v.enterprise_id));
        }
        let (program, enterprise) = self.vouchers[&id];
        Ok((self.programs[&program].clone(), enterprise))
    }
}

/// The statement's lines for `scope` in `[from, to)`.
pub fn lines(
    conn: &mut DbConnection,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<Line>, ServiceError> {
    let rows = movements(conn, scope, from, to)?;
    let (of_booking, of_allocation) = resources_of(conn, &rows)?;
    let maps = (of_booking, of_allocation, orders_of(conn, &rows)?);
    let mut look = Lookup::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let place = look.place(conn, &r, &maps)?;
        let (program, enterprise_id) = look.voucher(conn, r.voucher_id)?;
        let sign = if r.movement == Movement::Capture {
            1
        } else {
            -1
        };
        out.push(Line {
            entry_id: r.id,
            at: r.at.and_utc(),
            kind: r.movement.as_str().to_owned(),
            amount_fen: sign * r.amount_fen,
            booking_id: r.booking_id,
            resource_id: place.resource.as_ref().map(|p| p.0),
            resource_name_en: place.resource.map(|p| p.1),
            voucher_id: r.voucher_id,
            program_code: program.code,
            enterprise_id,
            enterprise_name_en: look.org(conn, enterprise_id)?,
            issuer_id: program.issuer_id,
            issuer_name_en: look.org(conn, program.issuer_id)?,
            issuer_province: program.issuer_province,
            provider_id: place.provider,
            provider_name_en: look.org(conn, place.provider)?,
            provider_province: place.province,
            allocation_id: r.allocation_id,
            service_order_id: r.service_order_id,
            service_name_en: place.service,
        });
    }
    Ok(out)
}

/// Totals per (issuer province, provider province), in a stable order.
pub fn totals(lines: &[Line]) -> Vec<Total> {
    let mut by_pair: BTreeMap<(String, String), (i64, usize)> = BTreeMap::new();
    for l in lines {
        let pair = (l.issuer_province.clone(), l.provider_province.clone());
        let t = by_pair.entry(pair).or_default();
        t.0 += l.amount_fen;
        t.1 += 1;
    }
    by_pair
        .into_iter()
        .map(
            |((issuer_province, provider_province), (amount_fen, lines))| Total {
                issuer_province,
                provider_province,
                amount_fen,
                lines,
            },
        )
        .collect()
}

/// The statement as CSV: one row per line, then one `total` row per pair of provinces.
pub fn csv(lines: &[Line], totals: &[Total]) -> Result<String, ServiceError> {
    let mut w = Sheet::default();
    w.row(HEADER).map_err(ServiceError::internal)?;
    for l in lines {
        w.row(l.cells()).map_err(ServiceError::internal)?;
    }
    for t in totals {
        let mut row = vec![String::new(); HEADER.len()];
        row[2] = "total".into();
        row[3] = t.amount_fen.to_string();
        row[13] = t.issuer_province.clone();
        row[16] = t.provider_province.clone();
        w.row(&row).map_err(ServiceError::internal)?;
    }
    w.finish().map_err(ServiceError::internal)
}

impl Line {
    /// The line's cells, in [`HEADER`]'s order.
    fn cells(&self) -> [String; 20] {
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        [
            self.entry_id.to_string(),
            self.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            self.kind.clone(),
            self.amount_fen.to_string(),
            opt(self.booking_id),
            opt(self.resource_id),
            self.resource_name_en.clone().unwrap_or_default(),
            self.voucher_id.to_string(),
            self.program_code.clone(),
            self.enterprise_id.to_string(),
            self.enterprise_name_en.clone(),
            self.issuer_id.to_string(),
            self.issuer_name_en.clone(),
            self.issuer_province.clone(),
            self.provider_id.to_string(),
            self.provider_name_en.clone(),
            self.provider_province.clone(),
            opt(self.allocation_id),
            opt(self.service_order_id),
            self.service_name_en.clone().unwrap_or_default(),
        ]
    }
}

/// The CSV columns, in the order of [`Line`]'s fields.
const HEADER: [&str; 20] = [
    "entry_id",
    "at",
    "kind",
    "amount_fen",
    "booking_id",
    "resource_id",
    "resource_name_en",
    "voucher_id",
    "program_code",
    "enterprise_id",
    "enterprise_name_en",
    "issuer_id",
    "issuer_name_en",
    "issuer_province",
    "provider_id",
    "provider_name_en",
    "provider_province",
    "allocation_id",
    "service_order_id",
    "service_name_en",
];
