//! The demo region: the catalogue in `data/demo/`, its institutions, one enterprise in Suzhou,
//! one agency in Shanghai, and one account per role, all with the password `demo-password`.
//! Every figure is illustrative demo data, not an institution's real offer.

use std::collections::BTreeMap;

use crate::accounts::{self, UserDraft};
use crate::db::organizations::{self, OrganizationValues};
use crate::db::{Db, DbConnection, jurisdictions, resources, users};
use crate::domain::catalogue_csv;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::{Locale, OrgKind, Role};
use crate::domain::uscc;
use crate::http::error::ApiError;
use crate::http::extract::AuthUser;

pub const DEMO_PASSWORD: &str = "demo-password";
pub const CATALOGUE: &str = include_str!("../data/demo/demo-catalogue.csv");
pub const ENTERPRISE: &str = "Acme Biotech (Suzhou) Co., Ltd. (demo)";
pub const AGENCY: &str = "Shanghai Science and Technology Commission (demo)";

/// Loads the demo region unless it is already there; true when it loaded it now.
pub fn seed(db: &Db) -> Result<bool, ApiError> {
    // Hash outside the transaction: it is slow on purpose.
    let hash = crate::auth::hash_password(DEMO_PASSWORD).map_err(ApiError::internal)?;
    db.write_blocking(|conn| {
        if users::find_by_email(conn, "admin@demo.test")?.is_some() {
            return Ok(false);
        }
        seed_in(conn, &hash)?;
        Ok(true)
    })
}

fn seed_in(conn: &mut DbConnection, hash: &str) -> Result<(), ApiError> {
    let institutions = seed_institutions(conn)?;
    let acme = org(
        conn,
        OrgKind::Enterprise,
        ENTERPRISE,
        "苏州艾克美生物科技有限公司（演示）",
        "320500",
        "91320500MA1XACME0",
    )?;
    let agency = org(
        conn,
        OrgKind::Agency,
        AGENCY,
        "上海市科学技术委员会（演示）",
        "310100",
        "11310000MB2K3L4D1",
    )?;
    let fudan = institutions["Fudan University"];
    let mut user = |email: &str, role: Role, org: Option<OrganizationId>, locale: Locale| {
        let draft = UserDraft {
            email: email.into(),
            display_name: None,
            role,
            organization_id: org,
            locale,
        };
        accounts::create_user(conn, draft, hash.to_owned()).map(|u| UserId(u.id))
    };
    let admin = user("admin@demo.test", Role::Admin, None, Locale::En)?;
    user(
        "manager@fudan.demo.test",
        Role::Manager,
        Some(fudan),
        Locale::ZhCn,
    )?;
    let operator = user(
        "operator@fudan.demo.test",
        Role::Operator,
        Some(fudan),
        Locale::ZhCn,
    )?;
    user(
        "booker@acme.demo.test",
        Role::Booker,
        Some(acme),
        Locale::ZhCn,
    )?;
    user(
        "issuer@sh.demo.test",
        Role::Issuer,
        Some(agency),
        Locale::ZhCn,
    )?;
    let actor = AuthUser {
        id: admin,
        role: Role::Admin,
        org: None,
    };
    for id in crate::catalogue::import(conn, &actor, CATALOGUE, false)? {
        let view = resources::find(conn, id)?
            .ok_or_else(|| ApiError::internal("seeded resource vanished"))?;
        if view.row.organization_id == fudan.0 {
            resources::add_operator(conn, id, operator)?;
        }
    }
    Ok(())
}

/// Creates each institution the demo catalogue names, with a demo USCC that passes the check.
fn seed_institutions(
    conn: &mut DbConnection,
) -> Result<BTreeMap<String, OrganizationId>, ApiError> {
    let rows = catalogue_csv::parse(CATALOGUE)
        .map_err(|_| ApiError::internal("demo catalogue is invalid"))?;
    let mut ids = BTreeMap::new();
    for row in rows {
        if ids.contains_key(&row.institution_en) {
            continue;
        }
        let city = jurisdictions::city_in_province(conn, row.province.as_str(), &row.city)?
            .ok_or_else(|| ApiError::internal(format!("demo city {} unknown", row.city)))?;
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
) -> Result<OrganizationId, ApiError> {
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
