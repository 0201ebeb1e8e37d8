//! Wire types for authentication, users, organisations, API tokens and jurisdictions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::utc;
use crate::db::jurisdictions::JurisdictionRow;
use crate::db::organizations::OrganizationRow;
use crate::db::tokens::ApiTokenRow;
use crate::db::users::UserRow;
use crate::domain::types::{Locale, OrgKind, Role};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

#[derive(Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub locale: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> User {
        User {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            organization_id: u.organization_id,
            locale: u.locale,
            active: u.active,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub organization: Option<Organization>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub locale: Option<Locale>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub role: Option<Role>,
    pub locale: Option<Locale>,
    pub active: Option<bool>,
}

/// What users may change about themselves; a new password needs the current one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub display_name: Option<String>,
    pub locale: Option<Locale>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Organization {
    pub id: i64,
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub jurisdiction_code: String,
    pub uscc: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrganizationRow> for Organization {
    fn from(o: OrganizationRow) -> Organization {
        Organization {
            id: o.id,
            kind: o.kind,
            name_en: o.name_en,
            name_zh: o.name_zh,
            jurisdiction_code: o.jurisdiction_code,
            uscc: o.uscc,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    pub kind: OrgKind,
    pub name_en: String,
    pub name_zh: String,
    pub jurisdiction_code: String,
    pub uscc: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    pub name_en: Option<String>,
    pub name_zh: Option<String>,
    pub jurisdiction_code: Option<String>,
    pub uscc: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(t: ApiTokenRow) -> ApiToken {
        ApiToken {
            id: t.id,
            name: t.name,
            created_at: utc(t.created_at),
            expires_at: t.expires_at.map(utc),
            revoked_at: t.revoked_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub meta: ApiToken,
    /// Shown once; only its digest is stored.
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    pub name: String,
    pub expires_in_days: Option<i64>,
    /// The account's password, to make a token that outlives the credential making it.
    pub password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Jurisdiction {
    pub code: String,
    pub province: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub name_en: String,
    pub name_zh: String,
}

impl From<JurisdictionRow> for Jurisdiction {
    fn from(j: JurisdictionRow) -> Jurisdiction {
        Jurisdiction {
            code: j.code,
            province: j.province,
            level: j.level,
            parent_code: j.parent_code,
            name_en: j.name_en,
            name_zh: j.name_zh,
        }
    }
}
