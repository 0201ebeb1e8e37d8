//! Per-resource settings a lab manager may change, each a whole number with a default and a
//! range: the rated hours a year that utilisation is measured against, and how long before a
//! booking its booker is reminded.

use std::ops::RangeInclusive;

use super::sharing::DEFAULT_RATED_HOURS;

/// One per-resource setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Rated hours a year, against which utilisation is reported.
    RatedHours,
    /// Minutes before a booking that its booker is reminded; by default a day, at the same
    /// local time.
    ReminderLead,
}

/// The default reminder lead: a day.
pub const DEFAULT_REMINDER_MINUTES: i32 = 24 * 60;

impl Setting {
    /// The field that carries it on the wire.
    pub fn field(self) -> &'static str {
        match self {
            Setting::RatedHours => "rated_hours_per_year",
            Setting::ReminderLead => "minutes_before",
        }
    }

    /// Its value when a resource sets none.
    pub fn default_value(self) -> i32 {
        match self {
            Setting::RatedHours => DEFAULT_RATED_HOURS as i32,
            Setting::ReminderLead => DEFAULT_REMINDER_MINUTES,
        }
    }

    fn range(self) -> RangeInclusive<i32> {
        match self {
            Setting::RatedHours => 1..=8_784,
            Setting::ReminderLead => 0..=43_200,
        }
    }

    /// The value if it is in range; otherwise what to send instead.
    pub fn check(self, value: i32) -> Result<i32, &'static str> {
        if self.range().contains(&value) {
            return Ok(value);
        }
        Err(match self {
            Setting::RatedHours => "must be between 1 and 8784 (every hour of a leap year)",
            Setting::ReminderLead => "must be between 0 and 43200 (30 days)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_defaults() {
        assert_eq!(Setting::RatedHours.check(8_784), Ok(8_784));
        assert!(Setting::RatedHours.check(0).is_err());
        assert_eq!(Setting::ReminderLead.check(0), Ok(0));
        assert!(Setting::ReminderLead.check(43_201).is_err());
        assert_eq!(Setting::RatedHours.default_value(), 1_600);
        assert_eq!(Setting::ReminderLead.default_value(), 1_440);
    }
}
