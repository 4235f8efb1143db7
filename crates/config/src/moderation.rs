//! Reports and moderation (issue 17).

use serde::{Deserialize, Serialize};

/// Limits of reporting and the automatic hide.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModerationSettings {
    /// Reports one person may file per 24 hours.
    pub daily_reports: u32,
    /// Distinct people with open reports on a post or product that hide it until an admin
    /// reviews it; 0 turns the automatic hide off.
    pub auto_hide_reporters: u32,
    /// Longest suspension an admin may give, in days.
    pub max_suspension_days: u32,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        ModerationSettings {
            daily_reports: 20,
            auto_hide_reporters: 5,
            max_suspension_days: 3650,
        }
    }
}

impl ModerationSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        (self.daily_reports == 0 || self.max_suspension_days == 0).then(|| {
            "moderation.daily_reports and moderation.max_suspension_days must be positive".into()
        })
    }
}
