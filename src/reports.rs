//! Open-sharing reports from the database: each resource's recorded use, blackouts and booking
//! endings over a period, turned into figures by `domain::sharing` and rolled up by institution,
//! city, province or the whole region.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::resources::{self, ResourceView};
use crate::db::schema::{bookings as b, resources as r};
use crate::db::{DbConnection, organizations};
use crate::domain::availability::Span;
use crate::domain::ids::{OrganizationId, ResourceId};
use crate::domain::sharing::{self, DEFAULT_RATED_HOURS, Endings, Facts, Figures, Totals, Use};
use crate::http::error::ApiError;

/// How a report groups resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Instrument,
    Institution,
    City,
    Province,
    Region,
}

/// Which resources a report covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    /// Only this institution's resources (a manager's report).
    pub institution: Option<i64>,
    /// Only large instruments by the national (or Shanghai's) threshold.
    pub large_only: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub key: String,
    pub name_en: String,
    pub name_zh: String,
    pub resources: usize,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A cancellation less than this before the start counts as late.
pub const LATE_CANCEL_HOURS: i64 = 24;

fn endings(
    conn: &mut DbConnection,
    id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Endings> {
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = b::table
        .filter(b::resource_id.eq(id))
        .filter(b::start_at.ge(from))
        .filter(b::start_at.lt(to))
        .filter(b::state.eq_any(["completed", "no_show", "cancelled"]))
        .select((b::state, b::start_at, b::updated_at))
        .load(conn)?;
    let mut e = Endings::default();
    for (state, start, changed) in rows {
        let late = state == "cancelled" && changed > start - Duration::hours(LATE_CANCEL_HOURS);
        if state != "cancelled" || late {
            e.due += 1;
        }
        e.no_shows += i64::from(state == "no_show");
        e.late_cancels += i64::from(late);
    }
    Ok(e)
}

fn uses(
    conn: &mut DbConnection,
    id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Use>> {
    type Raw = (
        i64,
        i64,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        i64,
        Option<i64>,
    );
    let rows: Vec<Raw> = b::table
        .filter(b::resource_id.eq(id))
        .filter(b::state.eq("completed"))
        .filter(b::check_in_at.lt(to))
        .filter(b::check_out_at.gt(from))
        .select((
            b::organization_id,
            b::booker_id,
            b::check_in_at,
            b::check_out_at,
            b::quantity,
            b::final_gross_fen,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(org, booker, i, o, quantity, fee)| {
            Some(Use {
                organization: org,
                booker,
                used: Span::new(i?.and_utc(), o?.and_utc()),
                quantity,
                fee_fen: fee.unwrap_or(0),
            })
        })
        .collect())
}

/// One resource's totals over `[from, to)`.
fn resource_totals(
    conn: &mut DbConnection,
    view: &ResourceView,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Totals, ApiError> {
    let id = view.row.id;
    let facts = Facts {
        owner: view.row.organization_id,
        capacity: view.row.capacity,
        rated_hours_per_year: rated_hours(conn, id)?,
    };
    let closed: Vec<Span> = resources::blackouts_overlapping(conn, ResourceId(id), from, to)?
        .into_iter()
        .map(|x| Span::new(x.start_at.and_utc(), x.end_at.and_utc()))
        .collect();
    let period = Span::new(from.and_utc(), to.and_utc());
    let used = uses(conn, id, from, to)?;
    Ok(sharing::of_resource(
        facts,
        period,
        &used,
        &closed,
        endings(conn, id, from, to)?,
    ))
}

/// The group a resource falls in at `level`: its key and its English and Chinese names.
fn group(
    conn: &mut DbConnection,
    view: &ResourceView,
    level: Level,
) -> Result<(String, String, String), ApiError> {
    let j = &view.jurisdiction;
    Ok(match level {
        Level::Instrument => (
            view.row.id.to_string(),
            view.row.name_en.clone(),
            view.row.name_zh.clone(),
        ),
        Level::Institution => {
            let org = organizations::find(conn, OrganizationId(view.row.organization_id))?;
            let (en, zh) = org.map(|o| (o.name_en, o.name_zh)).unwrap_or_default();
            (view.row.organization_id.to_string(), en, zh)
        }
        Level::City => (j.code.clone(), j.name_en.clone(), j.name_zh.clone()),
        Level::Province => (j.province.clone(), j.province.clone(), j.province.clone()),
        Level::Region => ("YRD".into(), "Yangtze River Delta".into(), "长三角".into()),
    })
}

/// The report's rows at `level` and the total over everything in scope.
pub fn sharing_report(
    conn: &mut DbConnection,
    scope: Scope,
    level: Level,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<(Vec<Row>, Figures), ApiError> {
    let mut ids = r::table.select(r::id).order(r::id).into_boxed();
    if let Some(org) = scope.institution {
        ids = ids.filter(r::organization_id.eq(org));
    }
    let ids: Vec<i64> = ids.load(conn)?;
    let mut groups: BTreeMap<String, (String, String, usize, Totals)> = BTreeMap::new();
    let mut all = Totals::default();
    for id in ids {
        let Some(view) = resources::find(conn, ResourceId(id))? else {
            continue;
        };
        if scope.large_only
            && !sharing::is_large(view.row.original_value_cny, &view.jurisdiction.province)
        {
            continue;
        }
        let totals = resource_totals(conn, &view, from, to)?;
        let (key, en, zh) = group(conn, &view, level)?;
        let entry = groups
            .entry(key)
            .or_insert_with(|| (en, zh, 0, Totals::default()));
        entry.2 += 1;
        entry.3.add(&totals);
        all.add(&totals);
    }
    let rows = groups
        .into_iter()
        .map(|(key, (name_en, name_zh, resources, totals))| Row {
            key,
            name_en,
            name_zh,
            resources,
            figures: totals.figures(),
        })
        .collect();
    Ok((rows, all.figures()))
}

/// One cell of a flow matrix: from the users' (or the voucher issuers') province to the
/// providers' province.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Flow {
    pub from_province: String,
    pub provider_province: String,
    pub hours: f64,
    pub fee_fen: i64,
    pub voucher_fen: i64,
    pub uses: usize,
}

#[derive(Default)]
struct Cell {
    unit_minutes: i64,
    fee: i64,
    voucher: i64,
    uses: usize,
}

/// Provinces looked up once per report.
#[derive(Default)]
struct Places {
    orgs: BTreeMap<i64, String>,
    resources: BTreeMap<i64, String>,
    vouchers: BTreeMap<i64, String>,
}

impl Places {
    fn org(&mut self, conn: &mut DbConnection, id: i64) -> Result<String, ApiError> {
        if let Some(p) = self.orgs.get(&id) {
            return Ok(p.clone());
        }
        let code = organizations::find(conn, OrganizationId(id))?
            .map(|o| o.jurisdiction_code)
            .unwrap_or_default();
        let p = crate::db::jurisdictions::find(conn, &code)?
            .map(|j| j.province)
            .unwrap_or_default();
        self.orgs.insert(id, p.clone());
        Ok(p)
    }

    fn resource(&mut self, conn: &mut DbConnection, id: i64) -> Result<String, ApiError> {
        if let Some(p) = self.resources.get(&id) {
            return Ok(p.clone());
        }
        let p = resources::find(conn, ResourceId(id))?
            .map(|v| v.jurisdiction.province)
            .unwrap_or_default();
        self.resources.insert(id, p.clone());
        Ok(p)
    }

    fn issuer(&mut self, conn: &mut DbConnection, voucher: i64) -> Result<String, ApiError> {
        if let Some(p) = self.vouchers.get(&voucher) {
            return Ok(p.clone());
        }
        let v = crate::db::vouchers::find_voucher(conn, voucher)?;
        let p = match v {
            Some(v) => crate::db::vouchers::find_program(conn, v.program_id)?
                .map(|p| p.issuer_province)
                .unwrap_or_default(),
            None => String::new(),
        };
        self.vouchers.insert(voucher, p.clone());
        Ok(p)
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

/// The cross-province flow matrices over `[from, to)`: by the users' province and by the voucher
/// issuers' province, each against the providers' province. Hours where use falls; fees and
/// voucher amounts in the period the use ended in.
pub fn flows(
    conn: &mut DbConnection,
    scope: Scope,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<(Vec<Flow>, Vec<Flow>), ApiError> {
    type Raw = (
        i64,
        i64,
        NaiveDateTime,
        NaiveDateTime,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let mut q = b::table
        .filter(b::state.eq("completed"))
        .filter(b::check_in_at.lt(to))
        .filter(b::check_out_at.gt(from))
        .select((
            b::organization_id,
            b::resource_id,
            b::check_in_at.assume_not_null(),
            b::check_out_at.assume_not_null(),
            b::quantity,
            b::final_gross_fen,
            b::final_voucher_fen,
            b::voucher_id,
        ))
        .into_boxed();
    if let Some(org) = scope.institution {
        let theirs = r::table.filter(r::organization_id.eq(org)).select(r::id);
        q = q.filter(b::resource_id.eq_any(theirs));
    }
    let rows: Vec<Raw> = q.load(conn)?;
    let (mut by_user, mut by_issuer) = (BTreeMap::new(), BTreeMap::new());
    let mut places = Places::default();
    for (org, resource, i, o, quantity, fee, voucher_fen, voucher) in rows {
        let provider = places.resource(conn, resource)?;
        let minutes = (o.min(to) - i.max(from)).num_minutes().max(0) * quantity.max(1);
        let ended_here = from <= o && o < to;
        let (fee, paid) = if ended_here {
            (fee.unwrap_or(0), voucher_fen.unwrap_or(0))
        } else {
            (0, 0)
        };
        let cell: &mut Cell = by_user
            .entry((places.org(conn, org)?, provider.clone()))
            .or_default();
        cell.unit_minutes += minutes;
        cell.fee += fee;
        cell.voucher += paid;
        cell.uses += 1;
        if let Some(v) = voucher {
            let cell: &mut Cell = by_issuer
                .entry((places.issuer(conn, v)?, provider))
                .or_default();
            cell.unit_minutes += minutes;
            cell.fee += fee;
            cell.voucher += paid;
            cell.uses += 1;
        }
    }
    Ok((cells(by_user), cells(by_issuer)))
}

/// The rows as CSV, one line each, columns as in the JSON rows.
pub fn sharing_csv(rows: &[Row]) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "key",
        "name_en",
        "name_zh",
        "resources",
        "effective_hours",
        "external_hours",
        "sharing_rate",
        "rated_hours",
        "utilisation",
        "service_income_fen",
        "users_served",
        "organizations_served",
        "no_show_rate",
        "late_cancel_rate",
    ])
    .map_err(ApiError::internal)?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in rows {
        let f = &r.figures;
        w.write_record([
            r.key.clone(),
            r.name_en.clone(),
            r.name_zh.clone(),
            r.resources.to_string(),
            f.effective_hours.to_string(),
            f.external_hours.to_string(),
            opt(f.sharing_rate),
            f.rated_hours.to_string(),
            opt(f.utilisation),
            f.service_income_fen.to_string(),
            f.users_served.to_string(),
            f.organizations_served.to_string(),
            opt(f.no_show_rate),
            opt(f.late_cancel_rate),
        ])
        .map_err(ApiError::internal)?;
    }
    let bytes = w.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

/// A resource's rated hours a year: its own, or the default of 1 600.
pub fn rated_hours(conn: &mut DbConnection, resource: i64) -> QueryResult<i64> {
    use crate::db::schema::resource_ratings as rr;
    let set: Option<i32> = rr::table
        .find(resource)
        .select(rr::rated_hours_per_year)
        .first(conn)
        .optional()?;
    Ok(set.map_or(DEFAULT_RATED_HOURS, i64::from))
}
