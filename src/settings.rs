//! Per-resource settings: read by anyone signed in, set by the resource's managers.

use crate::db::DbConnection;
use crate::domain::actor::Actor;
use crate::domain::ids::ResourceId;
use crate::domain::settings::Setting;
use crate::error::ServiceError;

/// A resource's setting as it stands.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    pub resource: ResourceId,
    pub setting: Setting,
    pub value: i32,
    /// True when the resource sets none and the default applies.
    pub default: bool,
}

/// The setting of an existing resource.
pub fn current(
    conn: &mut DbConnection,
    id: ResourceId,
    setting: Setting,
) -> Result<Current, ServiceError> {
    crate::db::resources::find(conn, id)?.ok_or_else(|| ServiceError::not_found("resource"))?;
    let set = crate::db::settings::get(conn, id, setting)?;
    Ok(Current {
        resource: id,
        setting,
        value: set.unwrap_or(setting.default_value()),
        default: set.is_none(),
    })
}

/// Sets a resource's value, checked against its range before anything else; recorded in the
/// audit trail.
pub fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, setting): (ResourceId, Setting),
    (value, now): (i32, chrono::NaiveDateTime),
) -> Result<Current, ServiceError> {
    let value = setting
        .check(value)
        .map_err(|why| ServiceError::invalid_field(setting.field(), why))?;
    let view = crate::catalogue::editable_resource(conn, actor, id)?;
    let before = current(conn, id, setting)?;
    crate::db::settings::set(conn, id, setting, value)?;
    let change = crate::audit::Change {
        subject: ("resource", id.0),
        action: "setting.changed",
        owner: Some(view.row.organization_id),
        party: None,
        reason: None,
    };
    let shown = |c: &Current| serde_json::json!({ setting.field(): c.value, "default": c.default });
    let after = current(conn, id, setting)?;
    let values = (Some(&shown(&before)), Some(&shown(&after)));
    crate::audit::record(conn, actor, change, values, now)?;
    Ok(after)
}
