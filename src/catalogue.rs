//! Catalogue rules that need the database: who may edit which resource, references to
//! jurisdictions and operators, merge-patch updates, CSV import (all rows or none).

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::audit;
use crate::db::organizations::{self, OrganizationRow, OrganizationValues};
use crate::db::resources::{self, ResourceValues, ResourceView};
use crate::db::{DbConnection, jurisdictions, users};
use crate::domain::Issue;
use crate::domain::actor::Actor;
use crate::domain::catalogue_csv::{self, CatalogueRow};
use crate::domain::ids::{OrganizationId, ResourceId};
use crate::domain::resource::ResourceFields;
use crate::domain::types::{OrgKind, ResourceStatus, Role};
use crate::error::{ErrorCode, ServiceError};

/// 403 unless the caller manages the resource's institution (or is an admin).
pub fn ensure_can_edit(actor: &Actor, owner: OrganizationId) -> Result<(), ServiceError> {
    actor.require(&[Role::Manager])?;
    if actor.acts_for(owner) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "you manage the resources of your own institution only",
        ))
    }
}

/// A resource `actor` may edit, or 404 (no such resource) / 403 (another institution's).
pub fn editable_resource(
    conn: &mut DbConnection,
    actor: &Actor,
    id: crate::domain::ids::ResourceId,
) -> Result<crate::db::resources::ResourceView, ServiceError> {
    let view =
        crate::db::resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    ensure_can_edit(actor, OrganizationId(view.row.organization_id))?;
    Ok(view)
}

/// The institution a new resource belongs to: the manager's own, or the one an admin names.
fn owner_for_new(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: &ResourceFields,
) -> Result<OrganizationRow, ServiceError> {
    let id = match (actor.is_admin(), fields.organization_id, actor.org) {
        (true, Some(id), _) => id,
        (true, None, _) => {
            return Err(ServiceError::invalid_field(
                "organization_id",
                "an admin must name the owning institution",
            ));
        }
        (false, Some(id), Some(own)) if id != own => {
            return Err(ServiceError::forbidden(
                "you manage the resources of your own institution only",
            ));
        }
        (false, _, Some(own)) => own,
        (false, _, None) => {
            return Err(ServiceError::forbidden(
                "you do not belong to an institution",
            ));
        }
    };
    let org = organizations::find(conn, id)?.ok_or_else(|| {
        ServiceError::invalid_field(
            "organization_id",
            format!("organisation {id} does not exist"),
        )
    })?;
    if org.kind != OrgKind::Institution.as_str() {
        return Err(ServiceError::invalid_field(
            "organization_id",
            "resources belong to institutions",
        ));
    }
    Ok(org)
}

/// Validates the fields themselves and what they refer to.
fn check_fields(
    conn: &mut DbConnection,
    fields: &ResourceFields,
    owner: OrganizationId,
) -> Result<(), ServiceError> {
    let mut issues = fields.validate();
    match jurisdictions::find(conn, &fields.jurisdiction_code)? {
        Some(j) if j.level != "province" => {}
        _ => issues.push(Issue::field(
            "jurisdiction_code",
            format!(
                "{:?} is not a known city; see GET /api/v1/jurisdictions",
                fields.jurisdiction_code
            ),
        )),
    }
    let wanted: Vec<i64> = fields.operator_ids.iter().map(|u| u.0).collect();
    let found = users::operators_of(conn, owner, &wanted)?;
    for id in wanted.iter().filter(|id| !found.contains(id)) {
        issues.push(Issue::field(
            "operator_ids",
            format!("user {id} is not an active operator of this institution"),
        ));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::validation(issues))
    }
}

pub fn create_resource(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: ResourceFields,
    now: NaiveDateTime,
) -> Result<ResourceView, ServiceError> {
    actor.require(&[Role::Manager])?;
    let org = owner_for_new(conn, actor, &fields)?;
    check_fields(conn, &fields, OrganizationId(org.id))?;
    let values = ResourceValues::new(&fields, &org, now);
    let id = resources::insert(conn, &values, &fields)?;
    let change = audit::Change {
        subject: ("resource", id.0),
        action: "resource.created",
        owner: Some(org.id),
        party: None,
        reason: None,
    };
    audit::record(conn, actor, change, (None::<&()>, Some(&fields)), now)?;
    resources::find(conn, id)?.ok_or_else(|| ServiceError::internal("inserted resource vanished"))
}

/// Applies a JSON merge patch (RFC 7396) if the resource is still at `expected_version`.
pub fn update_resource(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ResourceId,
    expected_version: Option<i64>,
    patch: Value,
    now: NaiveDateTime,
) -> Result<ResourceView, ServiceError> {
    let current = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    let owner = OrganizationId(current.row.organization_id);
    ensure_can_edit(actor, owner)?;
    if current.row.status == ResourceStatus::Retired {
        return Err(ServiceError::new(
            ErrorCode::ResourceRetired,
            "a retired resource cannot be changed",
        ));
    }
    let mut merged = serde_json::to_value(current.fields()).map_err(ServiceError::internal)?;
    merge_patch(&mut merged, &patch);
    let fields: ResourceFields = serde_json::from_value(merged).map_err(|e| {
        ServiceError::new(
            ErrorCode::InvalidBody,
            format!("the patched resource is not valid: {e}"),
        )
    })?;
    if fields.organization_id != Some(owner) {
        return Err(ServiceError::invalid_field(
            "organization_id",
            "a resource cannot move to another institution",
        ));
    }
    if fields.kind.as_str() != current.row.kind {
        return Err(ServiceError::invalid_field(
            "kind",
            "the kind of a resource cannot change; create a new one",
        ));
    }
    check_fields(conn, &fields, owner)?;
    // A bad body is reported before a stale version: fixing the body is the next step either way.
    if expected_version.is_some_and(|v| v != current.row.version) {
        return Err(stale(current.row.version));
    }
    if fields.capacity != current.row.capacity {
        change_capacity(conn, id, fields.capacity, now)?;
    }
    let org = organizations::find(conn, owner)?
        .ok_or_else(|| ServiceError::internal("owner vanished"))?;
    let values = ResourceValues::new(&fields, &org, now);
    if !resources::update(conn, id, current.row.version, &values, &fields)? {
        return Err(stale(current.row.version));
    }
    let change = audit::Change {
        subject: ("resource", id.0),
        action: "resource.updated",
        owner: Some(owner.0),
        party: None,
        reason: fields.status_reason.as_deref(),
    };
    let before = current.fields();
    audit::record(conn, actor, change, (Some(&before), Some(&fields)), now)?;
    resources::find(conn, id)?.ok_or_else(|| ServiceError::internal("updated resource vanished"))
}

/// Lowering capacity below what bookings ahead already hold would break the capacity invariant:
/// refused. Otherwise the bookings' database overlap guard follows the new capacity.
fn change_capacity(
    conn: &mut DbConnection,
    id: ResourceId,
    capacity: i64,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    crate::db::bookings::lock_resource(conn, id)?;
    let peak = crate::db::bookings::peak_usage(conn, id, now)?;
    if peak > capacity {
        return Err(ServiceError::new(
            ErrorCode::InvalidState,
            format!(
                "bookings ahead hold up to {peak} units at once; cancel some before lowering capacity to {capacity}"
            ),
        ));
    }
    Ok(crate::db::bookings::set_exclusive(
        conn,
        id,
        capacity == 1,
        now,
    )?)
}

fn stale(version: i64) -> ServiceError {
    ServiceError::new(
        ErrorCode::PreconditionFailed,
        format!(
            "the resource changed since you read it (now at ETag \"{version}\"); fetch it again and reapply your change"
        ),
    )
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in changes {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

pub fn retire_resource(
    conn: &mut DbConnection,
    actor: &Actor,
    id: ResourceId,
    reason: &str,
    now: NaiveDateTime,
) -> Result<ResourceView, ServiceError> {
    let current = resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    ensure_can_edit(actor, OrganizationId(current.row.organization_id))?;
    if !crate::domain::prose_fits(reason, 500) {
        return Err(ServiceError::invalid_field(
            "reason",
            "say why the resource is retired (1 to 500 characters)",
        ));
    }
    if current.row.status == ResourceStatus::Retired {
        return Err(ServiceError::new(
            ErrorCode::ResourceRetired,
            "the resource is already retired",
        ));
    }
    resources::retire(conn, id, reason.trim(), now)?;
    let change = audit::Change {
        subject: ("resource", id.0),
        action: "resource.retired",
        owner: Some(current.row.organization_id),
        party: None,
        reason: Some(reason.trim()),
    };
    let status = |s: ResourceStatus| serde_json::json!({ "status": s });
    let (before, after) = (status(current.row.status), status(ResourceStatus::Retired));
    audit::record(conn, actor, change, (Some(&before), Some(&after)), now)?;
    resources::find(conn, id)?.ok_or_else(|| ServiceError::internal("retired resource vanished"))
}

/// Imports a catalogue CSV. Managers import into their own institution; admins (and the CLI)
/// into the institutions named, which `create_institutions` may create. Any bad line fails the
/// whole import with every problem listed, and the caller's transaction writes nothing.
pub fn import(
    conn: &mut DbConnection,
    actor: &Actor,
    text: &str,
    create_institutions: bool,
    now: NaiveDateTime,
) -> Result<Vec<ResourceId>, ServiceError> {
    actor.require(&[Role::Manager])?;
    let rows = catalogue_csv::parse(text).map_err(import_failed)?;
    let mut issues = Vec::new();
    let mut ready = Vec::new();
    for row in rows {
        match prepare_row(conn, actor, row, (create_institutions, now)) {
            Ok(Ok(item)) => ready.push(item),
            Ok(Err(issue)) => issues.push(issue),
            Err(e) => return Err(e),
        }
    }
    if !issues.is_empty() {
        return Err(import_failed(issues));
    }
    let mut ids = Vec::new();
    for (org, fields) in ready {
        let values = ResourceValues::new(&fields, &org, now);
        let id = resources::insert(conn, &values, &fields)?;
        let change = audit::Change {
            subject: ("resource", id.0),
            action: "resource.imported",
            owner: Some(org.id),
            party: None,
            reason: None,
        };
        audit::record(conn, actor, change, (None::<&()>, Some(&fields)), now)?;
        ids.push(id);
    }
    Ok(ids)
}

fn import_failed(issues: Vec<Issue>) -> ServiceError {
    let detail = format!(
        "{} line(s) of the file are invalid; nothing was imported",
        issues.len()
    );
    ServiceError::new(ErrorCode::ImportFailed, detail).with_issues(issues)
}

/// Resolves a row's institution and city; the inner error is a problem with the line.
fn prepare_row(
    conn: &mut DbConnection,
    actor: &Actor,
    row: CatalogueRow,
    (create_institutions, now): (bool, NaiveDateTime),
) -> Result<Result<(OrganizationRow, ResourceFields), Issue>, ServiceError> {
    let line = row.line;
    let Some(city) = jurisdictions::city_in_province(conn, row.province.as_str(), &row.city)?
    else {
        return Ok(Err(Issue::line(
            line,
            format!("{:?} is not a city of {}", row.city, row.province),
        )));
    };
    let org = match organizations::find_by_name(conn, &row.institution_en)? {
        Some(org) => org,
        None if create_institutions && actor.is_admin() => organizations::insert(
            conn,
            &OrganizationValues {
                kind: OrgKind::Institution.as_str().into(),
                name_en: row.institution_en.clone(),
                name_zh: row.institution_zh.clone(),
                jurisdiction_code: city.code.clone(),
                uscc: None,
                updated_at: now,
            },
        )?,
        None => {
            return Ok(Err(Issue::line(
                line,
                format!("institution {:?} does not exist", row.institution_en),
            )));
        }
    };
    if org.kind != OrgKind::Institution.as_str() {
        return Ok(Err(Issue::line(
            line,
            format!("{:?} is not an institution", org.name_en),
        )));
    }
    if !actor.acts_for(OrganizationId(org.id)) {
        return Ok(Err(Issue::line(
            line,
            format!(
                "{:?} is not your institution; you import your own resources only",
                org.name_en
            ),
        )));
    }
    let mut fields = row.fields;
    fields.jurisdiction_code = city.code;
    fields.organization_id = Some(OrganizationId(org.id));
    Ok(Ok((org, fields)))
}
