//! Account rules that need the database: organisations, users and their consistency
//! (a user's role fits their organisation's kind; codes and names are unique).

use crate::auth;
use crate::db::organizations::{self, OrganizationRow, OrganizationValues};
use crate::db::users::{self, NewUser, UserChanges, UserRow};
use crate::db::{DbConnection, console_sessions, jurisdictions, tokens};
use crate::domain::actor::{Actor, Reach};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::types::{Locale, OrgKind, Province, Role};
use crate::domain::{Issue, uscc};
use crate::error::ServiceError;
use chrono::NaiveDateTime;

/// Whose users a caller lists: an admin anyone's (or the organisation asked for), a manager
/// their own institution's whatever they ask for.
pub fn listed_organization(
    actor: &Actor,
    asked: Option<OrganizationId>,
) -> Result<Option<OrganizationId>, ServiceError> {
    match actor.reach() {
        Reach::All => Ok(asked),
        Reach::Institution(org) => Ok(Some(org)),
        _ => Err(ServiceError::forbidden(
            "users are listed by their institution's managers and admins",
        )),
    }
}

/// Whether `actor` may see `user`: themselves, an admin, or a manager of the user's institution.
pub fn may_see_user(actor: &Actor, user: &UserRow) -> bool {
    match actor.reach() {
        _ if user.id == actor.id.0 => true,
        Reach::All => true,
        Reach::Institution(org) => user.organization_id == Some(org.0),
        _ => false,
    }
}

/// Validated values of an organisation, checked against the jurisdictions and other organisations.
pub fn check_organization(
    conn: &mut DbConnection,
    mut values: OrganizationValues,
    except: Option<OrganizationId>,
) -> Result<OrganizationValues, ServiceError> {
    let mut issues = Vec::new();
    for (field, text) in [("name_en", &values.name_en), ("name_zh", &values.name_zh)] {
        if !crate::domain::text_fits(text, 200) {
            issues.push(Issue::field(field, "must be 1 to 200 characters"));
        }
    }
    let place = jurisdictions::find(conn, &values.jurisdiction_code)?;
    if place.is_none() {
        issues.push(Issue::field(
            "jurisdiction_code",
            format!(
                "{:?} is not a known jurisdiction; see GET /api/v1/jurisdictions",
                values.jurisdiction_code
            ),
        ));
    }
    let province = place.and_then(|p| Province::parse(&p.province));
    if let Some(issue) = uscc_issue(&values, province) {
        issues.push(issue);
    }
    if !issues.is_empty() {
        return Err(ServiceError::validation(issues));
    }
    values.name_en = values.name_en.trim().to_owned();
    values.name_zh = values.name_zh.trim().to_owned();
    if organizations::name_taken(conn, &values.name_en, except)? {
        return Err(ServiceError::conflict(format!(
            "an organisation named {:?} already exists",
            values.name_en
        )));
    }
    if let Some(code) = &values.uscc
        && organizations::uscc_taken(conn, code, except)?
    {
        return Err(ServiceError::conflict(format!(
            "an organisation with USCC {code} already exists"
        )));
    }
    Ok(values)
}

/// What is wrong with an organisation's USCC, if anything: enterprises and institutions carry
/// one, and any code names the province the organisation is registered in.
fn uscc_issue(values: &OrganizationValues, province: Option<Province>) -> Option<Issue> {
    let needs = matches!(
        OrgKind::parse(&values.kind),
        Some(OrgKind::Enterprise | OrgKind::Institution)
    );
    let Some(code) = values.uscc.as_deref() else {
        return needs.then(|| {
            Issue::field(
                "uscc",
                "enterprises and institutions give their unified social credit code",
            )
        });
    };
    if let Err(reason) = uscc::validate(code) {
        let message = format!("not a valid unified social credit code: {reason}");
        return Some(Issue::field("uscc", message));
    }
    let registered = uscc::province(code);
    match province {
        Some(p) if registered != Some(p) => Some(Issue::field(
            "uscc",
            format!(
                "positions 3 to 8 name the place of registration, which is not in {}, where \
                 jurisdiction_code places the organisation",
                p.name_en()
            ),
        )),
        _ => None,
    }
}

pub fn create_organization(
    conn: &mut DbConnection,
    values: OrganizationValues,
) -> Result<OrganizationRow, ServiceError> {
    let values = check_organization(conn, values, None)?;
    Ok(organizations::insert(conn, &values)?)
}

/// What a new user needs besides the password hash.
pub struct UserDraft {
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub organization_id: Option<OrganizationId>,
    pub locale: Locale,
}

/// Checks that an email looks like one: something@domain.tld, no spaces.
fn email_ok(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && email.len() <= 254
}

/// Refuses a password outside 10 to 200 characters or one a strength estimator finds guessable
/// in fewer than about 10^10 tries (zxcvbn score below 3), counting what it shares with the
/// account's own email and name (`personal`).
pub fn check_password(password: &str, personal: &[&str]) -> Result<(), ServiceError> {
    let len = password.chars().count();
    if !(10..=200).contains(&len) {
        return Err(ServiceError::invalid_field(
            "password",
            "must be 10 to 200 characters",
        ));
    }
    let estimate = zxcvbn::zxcvbn(password, personal);
    if estimate.score() >= zxcvbn::Score::Three {
        return Ok(());
    }
    let mut advice = vec!["is too easy to guess".to_owned()];
    if let Some(feedback) = estimate.feedback() {
        advice.extend(feedback.warning().map(|w| w.to_string()));
        advice.extend(feedback.suggestions().iter().map(|s| s.to_string()));
    }
    advice.push("a few unrelated words together make a strong password".into());
    Err(ServiceError::invalid_field("password", advice.join("; ")))
}

/// Checks that `role` may belong to `org` (admins belong to none).
pub fn check_membership(
    conn: &mut DbConnection,
    role: Role,
    org: Option<OrganizationId>,
) -> Result<(), ServiceError> {
    let kinds = role.allowed_org_kinds();
    match org {
        None if kinds.is_empty() => Ok(()),
        None => Err(ServiceError::invalid_field(
            "organization_id",
            format!("a {role} belongs to an organisation"),
        )),
        Some(_) if kinds.is_empty() => Err(ServiceError::invalid_field(
            "organization_id",
            "admins belong to the platform, not to an organisation",
        )),
        Some(id) => {
            let org = organizations::find(conn, id)?.ok_or_else(|| {
                ServiceError::invalid_field(
                    "organization_id",
                    format!("organisation {id} does not exist"),
                )
            })?;
            let kind = OrgKind::parse(&org.kind)
                .ok_or_else(|| ServiceError::internal("stored org kind unknown"))?;
            if kinds.contains(&kind) {
                Ok(())
            } else {
                let allowed: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                Err(ServiceError::invalid_field(
                    "organization_id",
                    format!(
                        "a {role} belongs to an organisation of kind {}, not {kind}",
                        allowed.join(" or ")
                    ),
                ))
            }
        }
    }
}

pub fn create_user(
    conn: &mut DbConnection,
    draft: UserDraft,
    password_hash: String,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let email = draft.email.trim().to_lowercase();
    if !email_ok(&email) {
        return Err(ServiceError::invalid_field(
            "email",
            "must be an email address such as name@example.org",
        ));
    }
    check_membership(conn, draft.role, draft.organization_id)?;
    if users::find_by_email(conn, &email)?.is_some() {
        return Err(ServiceError::conflict(format!(
            "a user with email {email} already exists"
        )));
    }
    if draft
        .display_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100 || crate::domain::bad_char(n, false).is_some())
    {
        return Err(ServiceError::invalid_field(
            "display_name",
            "must be at most 100 characters on one line, without control characters",
        ));
    }
    let display_name = draft
        .display_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let new = NewUser {
        organization_id: draft.organization_id.map(|o| o.0),
        email,
        display_name,
        password_hash,
        role: draft.role.as_str().into(),
        locale: draft.locale.as_str().into(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    Ok(users::insert(conn, &new)?)
}

/// Refuses an admin's change to their own role or standing, which would lock them out with
/// nobody left to undo it.
pub fn check_own_standing(changes: &UserChanges) -> Result<(), ServiceError> {
    if changes.active == Some(false) {
        return Err(ServiceError::invalid_field(
            "active",
            "you cannot deactivate your own account; another admin can",
        ));
    }
    if changes.role.as_deref().is_some_and(|r| r != "admin") {
        return Err(ServiceError::invalid_field(
            "role",
            "you cannot give up your own admin role; another admin can change it",
        ));
    }
    Ok(())
}

/// Applies an admin's change to a user, keeping role and organisation consistent.
pub fn update_user(
    conn: &mut DbConnection,
    id: UserId,
    changes: UserChanges,
) -> Result<UserRow, ServiceError> {
    let current = users::find(conn, id)?.ok_or_else(|| ServiceError::not_found("user"))?;
    if let Some(role) = changes.role.as_deref().and_then(Role::parse) {
        check_membership(conn, role, current.organization_id.map(OrganizationId))?;
    }
    if let Some(name) = &changes.display_name
        && !crate::domain::text_fits(name, 100)
    {
        return Err(ServiceError::invalid_field(
            "display_name",
            "must be 1 to 100 characters",
        ));
    }
    let changes = UserChanges {
        display_name: changes.display_name.map(|n| n.trim().to_owned()),
        ..changes
    };
    let updated = users::update(conn, id, &changes)?;
    if credentials_change(&current, &changes) {
        users::bump_token_version(conn, id)?;
    }
    if changes.password_hash.is_some() {
        // Whoever knew the old password may have made API tokens with it.
        let now = changes.updated_at.unwrap_or(updated.updated_at);
        tokens::revoke_all(conn, id, now)?;
    }
    Ok(updated)
}

/// Whether `changes` end the account's access tokens: a new password, role or standing.
fn credentials_change(current: &UserRow, changes: &UserChanges) -> bool {
    changes.password_hash.is_some()
        || changes.role.as_ref().is_some_and(|r| *r != current.role)
        || changes.active.is_some_and(|a| a != current.active)
}

/// The actor a user's stored account makes them.
pub fn actor_of(user: &UserRow) -> Result<Actor, ServiceError> {
    Ok(Actor {
        id: UserId(user.id),
        role: Role::parse(&user.role)
            .ok_or_else(|| ServiceError::internal("stored role is unknown"))?,
        org: user.organization_id.map(OrganizationId),
    })
}

/// The actor a user's account makes them, and the language they read.
fn caller_of(user: &UserRow) -> Result<(Actor, Locale), ServiceError> {
    let locale = Locale::of_user(&user.locale);
    Ok((actor_of(user)?, locale))
}

/// Who an access token signed at `version` speaks for now; `None` when the account is gone,
/// deactivated, or its credentials changed since.
pub fn session_actor(
    conn: &mut DbConnection,
    id: UserId,
    version: i64,
) -> Result<Option<(Actor, Locale)>, ServiceError> {
    match users::find(conn, id)? {
        Some(u) if u.active && u.token_version == version => Ok(Some(caller_of(&u)?)),
        _ => Ok(None),
    }
}

/// Who a live API token speaks for, and when it expires.
pub fn api_token_actor(
    conn: &mut DbConnection,
    digest: &str,
    now: NaiveDateTime,
) -> Result<Option<(Actor, Locale, NaiveDateTime)>, ServiceError> {
    match tokens::authenticate(conn, digest, now)? {
        Some((user, Some(expires))) => {
            let (actor, locale) = caller_of(&user)?;
            Ok(Some((actor, locale, expires)))
        }
        _ => Ok(None),
    }
}

/// How long a console sign-in lasts.
pub const CONSOLE_SESSION: chrono::Duration = chrono::Duration::hours(12);

/// Opens a console session for a user who has just signed in: the cookie's token, of which only
/// the digest is stored.
pub fn open_console_session(
    conn: &mut DbConnection,
    user: &UserRow,
    now: NaiveDateTime,
) -> Result<String, ServiceError> {
    let (token, digest) = auth::new_token("ibs_");
    console_sessions::insert(
        conn,
        &console_sessions::NewSession {
            user_id: user.id,
            token_hash: digest,
            token_version: user.token_version,
            created_at: now,
            expires_at: now + CONSOLE_SESSION,
        },
    )?;
    Ok(token)
}

/// Who a live console session speaks for, with their account.
pub fn console_actor(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<(Actor, UserRow)>, ServiceError> {
    let digest = auth::digest_api_token(token);
    match console_sessions::authenticate(conn, &digest, now)? {
        Some((user, _)) => Ok(Some((actor_of(&user)?, user))),
        None => Ok(None),
    }
}

/// Ends a console session.
pub fn close_console_session(conn: &mut DbConnection, token: &str) -> Result<(), ServiceError> {
    console_sessions::delete(conn, &auth::digest_api_token(token))?;
    Ok(())
}

/// Checks an email and password; the same answer, and about the same time, whether the email
/// is unknown or the password wrong.
pub fn login(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
) -> Result<Option<UserRow>, ServiceError> {
    let user = users::find_by_email(conn, email.trim())?;
    match user {
        Some(u) if u.active && auth::verify_password(password, &u.password_hash) => Ok(Some(u)),
        Some(_) => Ok(None),
        None => {
            auth::verify_password(password, DUMMY_HASH);
            Ok(None)
        }
    }
}

/// An argon2 hash of a random string, verified against when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0K2vBKTr6Hw5iyZ1VxHd2sKpM3S2W3gq7QmYj1r9x3Y";

#[cfg(test)]
mod tests {
    use super::check_password;

    #[test]
    fn guessable_passwords_are_refused_whatever_their_length() {
        for weak in ["aaaaaaaaaa", "password12", "qwertyuiop1", "demo-password"] {
            assert!(check_password(weak, &[]).is_err(), "{weak}");
        }
        let personal = check_password("li.wei@fudan.edu.cn1", &["li.wei@fudan.edu.cn"]);
        assert!(personal.is_err(), "the account's own email is no secret");
        assert!(check_password("quiet-otter-harbour-52", &[]).is_ok());
    }
}
