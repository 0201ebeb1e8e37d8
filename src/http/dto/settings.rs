//! Per-resource settings on the wire: `{"resource_id", <field>: value, "default"}`.

use serde::Deserialize;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::settings::Current;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRatedHours {
    pub rated_hours_per_year: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetReminder {
    pub minutes_before: i32,
}

/// A setting as sent: its value under the setting's own field name.
pub struct SettingBody(pub Current);

impl Serialize for SettingBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = &self.0;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("resource_id", &c.resource)?;
        map.serialize_entry(c.setting.field(), &c.value)?;
        map.serialize_entry("default", &c.default)?;
        map.end()
    }
}
