//! The demo region: the catalogue in `data/demo/`, its institutions, one enterprise in Suzhou,
//! one agency in Shanghai, and one account per role, all with the password `demo-password`.
//! Every figure is illustrative demo data, not an institution's real offer.

pub mod session;

use std::collections::BTreeMap;

use crate::accounts::{self, UserDraft};
use crate::db::organizations::{self, OrganizationValues};
use crate::db::{Db, DbConnection, jurisdictions, resources, users};
use crate::domain::actor::Actor;
use crate::domain::catalogue_csv;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::{Locale, OrgKind, Role};
use crate::domain::uscc;
use crate::error::ServiceError;

pub const DEMO_PASSWORD: &str = "demo-password";
pub const CATALOGUE: &str = include_str!("../data/demo/demo-catalogue.csv");
pub const ENTERPRISE: &str = "Acme Biotech (Suzhou) Co., Ltd. (demo)";
pub const AGENCY: &str = "Shanghai Science and Technology Commission (demo)";

/// Loads the demo region unless it is already there; true when it loaded it now.
pub fn seed(db: &Db) -> Result<bool, ServiceError> {
    // Hash outside the transaction: it is slow on purpose.
    let hash = crate::auth::hash_password(DEMO_PASSWORD).map_err(ServiceError::internal)?;
    db.write_blocking(|conn| {
        if users::find_by_email(conn, "admin@demo.test")?.is_some() {
            return Ok(false);
        }
        seed_in(conn, &hash)?;
        Ok(true)
    })
}

/// Each province's science and technology agency: province, English and Chinese names, city,
/// USCC. Shanghai's is the demo issuer's.
const AGENCIES: [(&str, &str, &str, &str, &str); 4] = [
    (
        "SH",
        AGENCY,
        "上海市科学技术委员会（演示）",
        "310100",
        "11310000MB2K3L4D1",
    ),
    (
        "JS",
        "Jiangsu Department of Science and Technology (demo)",
        "江苏省科学技术厅（演示）",
        "320100",
        "11320000MB3K4L5D2",
    ),
    (
        "ZJ",
        "Zhejiang Department of Science and Technology (demo)",
        "浙江省科学技术厅（演示）",
        "330100",
        "11330000MB4K5L6D3",
    ),
    (
        "AH",
        "Anhui Department of Science and Technology (demo)",
        "安徽省科学技术厅（演示）",
        "340100",
        "11340000MB5K6L7D4",
    ),
];

fn seed_in(conn: &mut DbConnection, hash: &str) -> Result<(), ServiceError> {
    let institutions = seed_institutions(conn)?;
    let acme = org(
        conn,
        OrgKind::Enterprise,
        ENTERPRISE,
        "苏州艾克美生物科技有限公司（演示）",
        "320500",
        "91320500MA1XACME0",
    )?;
    let mut agencies = Vec::new();
    for (province, en, zh, city, uscc) in AGENCIES {
        agencies.push((province, org(conn, OrgKind::Agency, en, zh, city, uscc)?));
    }
    seed_vouchers(conn, &agencies, acme)?;
    let fudan = institutions["Fudan University"];
    let issuers = (agencies[0].1, agencies[1].1);
    let staff = seed_users(conn, hash, (fudan, acme), issuers)?;
    seed_catalogue(conn, staff, fudan)?;
    seed_service(conn, fudan)
}

/// Fudan's sample-testing service: structure confirmation of small molecules by NMR.
fn seed_service(conn: &mut DbConnection, fudan: OrganizationId) -> Result<(), ServiceError> {
    let now = crate::db::now();
    let (name_en, name_zh) = ("NMR structure confirmation", "核磁共振结构确证");
    let (measures, category) = ("1H and 13C spectra of a small molecule", "analytical");
    let values = crate::db::services::ServiceValues {
        resource_id: None,
        name_en: name_en.into(),
        name_zh: name_zh.into(),
        measures: measures.into(),
        sample_requirements: "10 mg, dissolved or soluble in CDCl3 or DMSO-d6".into(),
        category: category.into(),
        price_internal_fen: 20_000,
        price_academic_fen: 40_000,
        price_enterprise_fen: 60_000,
        turnaround_days: 3,
        voucher_purposes: "research".into(),
        status: crate::domain::types::ServiceStatus::Published,
        search_text: [name_en, name_zh, measures, category]
            .map(str::to_lowercase)
            .join(" "),
        updated_at: now,
    };
    crate::db::services::insert(conn, fudan.0, &values)?;
    Ok(())
}

/// The demo accounts; returns the admin and Fudan's operator.
fn seed_users(
    conn: &mut DbConnection,
    hash: &str,
    (fudan, acme): (OrganizationId, OrganizationId),
    (shanghai, jiangsu): (OrganizationId, OrganizationId),
) -> Result<(UserId, UserId), ServiceError> {
    let people = [
        ("admin@demo.test", Role::Admin, None, Locale::En),
        (
            "manager@fudan.demo.test",
            Role::Manager,
            Some(fudan),
            Locale::ZhCn,
        ),
        (
            "operator@fudan.demo.test",
            Role::Operator,
            Some(fudan),
            Locale::ZhCn,
        ),
        (
            "booker@acme.demo.test",
            Role::Booker,
            Some(acme),
            Locale::ZhCn,
        ),
        (
            "issuer@sh.demo.test",
            Role::Issuer,
            Some(shanghai),
            Locale::ZhCn,
        ),
        (
            "issuer@js.demo.test",
            Role::Issuer,
            Some(jiangsu),
            Locale::ZhCn,
        ),
    ];
    let mut ids = Vec::new();
    for (email, role, org, locale) in people {
        let draft = UserDraft {
            email: email.into(),
            display_name: None,
            role,
            organization_id: org,
            locale,
        };
        ids.push(UserId(
            accounts::create_user(conn, draft, hash.to_owned(), crate::db::now())?.id,
        ));
    }
    Ok((ids[0], ids[2]))
}

/// The demo catalogue, imported by the admin; Fudan's operator runs Fudan's resources.
fn seed_catalogue(
    conn: &mut DbConnection,
    (admin, operator): (UserId, UserId),
    fudan: OrganizationId,
) -> Result<(), ServiceError> {
    let actor = Actor {
        id: admin,
        role: Role::Admin,
        org: None,
    };
    for id in crate::catalogue::import(conn, &actor, CATALOGUE, false, crate::db::now())? {
        let view = resources::find(conn, id)?
            .ok_or_else(|| ServiceError::internal("seeded resource vanished"))?;
        if view.row.organization_id == fudan.0 {
            resources::add_operator(conn, id, operator)?;
        }
    }
    Ok(())
}

/// Creates each institution the demo catalogue names, with a demo USCC that passes the check.
fn seed_institutions(
    conn: &mut DbConnection,
) -> Result<BTreeMap<String, OrganizationId>, ServiceError> {
    let rows = catalogue_csv::parse(CATALOGUE)
        .map_err(|_| ServiceError::internal("demo catalogue is invalid"))?;
    let mut ids = BTreeMap::new();
    for row in rows {
        if ids.contains_key(&row.institution_en) {
            continue;
        }
        let city = jurisdictions::city_in_province(conn, row.province.as_str(), &row.city)?
            .ok_or_else(|| ServiceError::internal(format!("demo city {} unknown", row.city)))?;
        let base = format!("12{}MB{:07}", city.code, ids.len() + 1);
        let id = org(
            conn,
            OrgKind::Institution,
            &row.institution_en,
            &row.institution_zh,
            &city.code,
            &base,
        )?;
        ids.insert(row.institution_en, id);
    }
    Ok(ids)
}

fn org(
    conn: &mut DbConnection,
    kind: OrgKind,
    en: &str,
    zh: &str,
    city: &str,
    uscc17: &str,
) -> Result<OrganizationId, ServiceError> {
    let values = OrganizationValues {
        kind: kind.as_str().into(),
        name_en: en.into(),
        name_zh: zh.into(),
        jurisdiction_code: city.into(),
        uscc: Some(uscc::complete(uscc17)),
        updated_at: crate::db::now(),
    };
    Ok(OrganizationId(organizations::insert(conn, &values)?.id))
}

pub const PROGRAMMES: &str = include_str!("../data/demo/demo-voucher-programmes.csv");
/// The demo enterprise's Jiangsu voucher: 3 000 yuan, until the end of 2027 in Shanghai time.
pub const ACME_VOUCHER_FEN: i64 = 300_000;

/// The demo programmes, each issued by its province's agency, and a Jiangsu voucher for Acme.
fn seed_vouchers(
    conn: &mut DbConnection,
    issuers: &[(&str, OrganizationId)],
    acme: OrganizationId,
) -> Result<(), ServiceError> {
    let now = crate::db::now();
    seed_programmes(conn, issuers, now)?;
    grant_acme_voucher(conn, acme, now)
}

fn bad_programme(what: &str) -> ServiceError {
    ServiceError::internal(format!("demo voucher programmes: {what}"))
}

/// The voucher programmes of the demo table, each under its province's issuing agency.
fn seed_programmes(
    conn: &mut DbConnection,
    issuers: &[(&str, OrganizationId)],
    now: chrono::NaiveDateTime,
) -> Result<(), ServiceError> {
    let bad = bad_programme;
    let mut reader = csv::Reader::from_reader(PROGRAMMES.as_bytes());
    for record in reader.records() {
        let r = record.map_err(|e| bad(&e.to_string()))?;
        let col = |i: usize| r.get(i).unwrap_or("").to_owned();
        let date = |i: usize| {
            chrono::NaiveDate::parse_from_str(&col(i), "%Y-%m-%d").map_err(|_| bad("date"))
        };
        let number = |i: usize| col(i).parse::<i64>().map_err(|_| bad("number"));
        let issuer = issuers
            .iter()
            .find(|(p, _)| *p == col(1))
            .ok_or_else(|| bad("issuer province"))?
            .1;
        let program = crate::db::vouchers::NewProgram {
            code: col(0),
            issuer_id: issuer.0,
            issuer_province: col(1),
            name_en: col(2),
            name_zh: col(3),
            kind: col(4),
            ratio_bps: number(5)?,
            annual_cap_fen: number(6)?,
            valid_from: date(7)?,
            valid_until: date(8)?,
            accepted_provinces: col(9),
            eligible_kinds: col(10),
            eligible_categories: String::new(),
            created_at: now,
        };
        crate::db::vouchers::insert_program(conn, &program)?;
    }
    Ok(())
}

/// Acme's Jiangsu innovation voucher, granted a month ago so the demo session booked since reads
/// in order in the ledger.
fn grant_acme_voucher(
    conn: &mut DbConnection,
    acme: OrganizationId,
    now: chrono::NaiveDateTime,
) -> Result<(), ServiceError> {
    use crate::db::vouchers::{self, Line};
    let bad = bad_programme;
    let js = vouchers::find_program_by_code(conn, "JS-IS")?.ok_or_else(|| bad("JS-IS missing"))?;
    let expires = chrono::NaiveDate::from_ymd_opt(2027, 12, 31)
        .and_then(|d| d.and_hms_opt(15, 59, 59))
        .ok_or_else(|| bad("expiry"))?;
    let granted = now - chrono::Duration::days(30);
    let voucher = vouchers::insert_voucher(conn, js.id, acme.0, expires, granted)?;
    let mut ledger = crate::domain::ledger::Ledger::default();
    let entry = ledger
        .grant(ACME_VOUCHER_FEN)
        .map_err(|e| bad(&e.to_string()))?
        .clone();
    let line = Line {
        voucher: voucher.id,
        entry: &entry,
        reverses_id: None,
        actor: None,
        reason: Some("demo grant"),
        year: crate::vouchers::shanghai_year(granted),
        at: granted,
    };
    vouchers::append(conn, &line)?;
    Ok(())
}
