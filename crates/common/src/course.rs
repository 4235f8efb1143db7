//! Date courses: the request vocabulary, `course.suggest` and the course document a worker returns.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::MessageType;

wire_enum! {
    /// Where the date is.
    pub enum Region {
        /// Seoul.
        Seoul = "seoul",
        /// Busan.
        Busan = "busan",
        /// Jeju island.
        Jeju = "jeju",
    }
}

wire_enum! {
    /// Season of the date.
    pub enum Season {
        /// March to May.
        Spring = "spring",
        /// June to August.
        Summer = "summer",
        /// September to November.
        Autumn = "autumn",
        /// December to February.
        Winter = "winter",
    }
}

wire_enum! {
    /// Part of the day the course runs in.
    pub enum TimeOfDay {
        /// Starts at 09:00.
        Morning = "morning",
        /// Starts at 13:00.
        Afternoon = "afternoon",
        /// Starts at 17:00.
        Evening = "evening",
        /// Starts at 20:00.
        Night = "night",
    }
}

wire_enum! {
    /// How the couple moves between stops.
    pub enum Transport {
        /// On foot.
        Walk = "walk",
        /// Subway and bus.
        Transit = "transit",
        /// By car.
        Car = "car",
    }
}

wire_enum! {
    /// How much the couple wants to spend.
    pub enum Budget {
        /// Free or cheap places only (price level ≤ 1).
        Low = "low",
        /// Price level ≤ 2.
        Medium = "medium",
        /// Anything.
        High = "high",
    }
}

wire_enum! {
    /// Language the course text is written in.
    pub enum CourseLanguage {
        /// Korean.
        Ko = "ko",
        /// English.
        En = "en",
    }
}

/// What a couple asks for (`POST /api/v1/date-courses`, and the payload of `course.suggest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CourseRequest {
    /// Seoul, Busan or Jeju.
    pub region: Region,
    /// Season of the date.
    pub season: Season,
    /// Part of the day.
    pub time_of_day: TimeOfDay,
    /// Walk, transit or car.
    pub transport: Transport,
    /// Free text that steers the choice of places by meaning (≤ 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mood: Option<String>,
    /// Spending limit; none means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// Language of the text (default Korean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<CourseLanguage>,
}

impl CourseRequest {
    /// Longest mood, in characters.
    pub const MAX_MOOD_CHARS: usize = 200;

    /// The language, with the default filled in.
    pub fn language(&self) -> CourseLanguage {
        self.language.unwrap_or(CourseLanguage::Ko)
    }
}

/// `course.suggest` v1: api -> recommend. Plan and write the course of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CourseSuggestV1 {
    /// The task this work belongs to.
    pub task_id: Uuid,
    /// The task's owner.
    pub user_id: Uuid,
    /// What was asked for.
    pub request: CourseRequest,
}

impl MessageType for CourseSuggestV1 {
    const TYPE: &'static str = "course.suggest";
    const VERSION: u32 = 1;
}

/// One stop of a course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourseStop {
    /// Catalogue id, e.g. `seoul-gyeongbokgung`.
    pub place_id: String,
    /// Name in the course's language.
    pub name: String,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lng: f64,
    /// Catalogue category, e.g. `palace`.
    pub category: String,
    /// Indoors (good in rain and cold).
    pub indoor: bool,
    /// Arrival time, `HH:MM`.
    pub arrival: String,
    /// Minutes spent there.
    pub stay_minutes: u32,
    /// Minutes from the previous stop (0 for the first).
    pub travel_minutes: u32,
    /// Straight-line kilometres from the previous stop (0 for the first).
    pub distance_km: f64,
    /// What the writer says about this stop.
    pub note: String,
}

/// A finished course: `task.succeeded.result` of a `course` task, and a saved course's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CourseDocument {
    /// Title the writer gave it.
    pub title: String,
    /// One or two sentences that open the course.
    pub intro: String,
    /// Language of the text.
    pub language: CourseLanguage,
    /// Region asked for.
    pub region: Region,
    /// Season asked for.
    pub season: Season,
    /// Part of the day asked for.
    pub time_of_day: TimeOfDay,
    /// Transport asked for.
    pub transport: Transport,
    /// Mood asked for.
    #[serde(default)]
    pub mood: Option<String>,
    /// Budget asked for.
    #[serde(default)]
    pub budget: Option<Budget>,
    /// 3–5 stops in visiting order.
    pub stops: Vec<CourseStop>,
    /// Practical tips.
    pub tips: Vec<String>,
    /// Minutes from the first arrival to leaving the last stop.
    pub total_minutes: u32,
    /// Who wrote the text: `local`, `openai` or `template`.
    pub provider: String,
    /// The model that wrote it (file or model name; `template` for the template writer).
    pub model: String,
}
