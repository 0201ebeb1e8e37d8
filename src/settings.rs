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

/// Sets a resource's value, checked against its range before anything else.
pub fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    (id, setting): (ResourceId, Setting),
    value: i32,
) -> Result<Current, ServiceError> {
    let value = setting
        .check(value)
        .map_err(|why| ServiceError::invalid_field(setting.field(), why))?;
    crate::catalogue::editable_resource(conn, actor, id)?;
    crate::db::settings::set(conn, id, setting, value)?;
    current(conn, id, setting)
}
