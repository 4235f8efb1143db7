//! What a writer is told: the request and the stops the planner already chose, in order.

use moji_common::course::{Budget, CourseLanguage, Region, Season, TimeOfDay, Transport};
use serde::{Deserialize, Serialize};

/// The course whose text is to be written: everything but the words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseBrief {
    /// Language of the text.
    pub language: CourseLanguage,
    /// Region of the course.
    pub region: Region,
    /// Season of the date.
    pub season: Season,
    /// Part of the day.
    pub time_of_day: TimeOfDay,
    /// How the couple moves between stops.
    pub transport: Transport,
    /// The couple's own words about the mood they want, if any.
    #[serde(default)]
    pub mood: Option<String>,
    /// Spending limit, if any.
    #[serde(default)]
    pub budget: Option<Budget>,
    /// The stops in visiting order (3–5 from the planner; any non-empty list is accepted).
    pub stops: Vec<StopBrief>,
}

/// One stop as the writer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopBrief {
    /// Name in the course language.
    pub name: String,
    /// Catalogue category, e.g. `palace`, `cafe`, `beach`.
    pub category: String,
    /// Indoors (good in rain and cold); steers the template writer's tips.
    #[serde(default)]
    pub indoor: bool,
    /// Arrival time, `HH:MM`.
    pub arrival: String,
    /// Minutes spent there.
    pub stay_minutes: u32,
    /// Minutes from the previous stop (0 for the first).
    pub travel_minutes: u32,
    /// A sentence or two from the catalogue about the place, in the course language.
    pub description: String,
}

/// Names of the brief's vocabulary in the course language, for prompts and the template writer.
pub(crate) mod words {
    use super::*;

    /// The region's name.
    pub(crate) fn region(language: CourseLanguage, region: Region) -> &'static str {
        match (language, region) {
            (CourseLanguage::Ko, Region::Seoul) => "서울",
            (CourseLanguage::Ko, Region::Busan) => "부산",
            (CourseLanguage::Ko, Region::Jeju) => "제주",
            (CourseLanguage::En, Region::Seoul) => "Seoul",
            (CourseLanguage::En, Region::Busan) => "Busan",
            (CourseLanguage::En, Region::Jeju) => "Jeju",
        }
    }

    /// The season's name.
    pub(crate) fn season(language: CourseLanguage, season: Season) -> &'static str {
        match (language, season) {
            (CourseLanguage::Ko, Season::Spring) => "봄",
            (CourseLanguage::Ko, Season::Summer) => "여름",
            (CourseLanguage::Ko, Season::Autumn) => "가을",
            (CourseLanguage::Ko, Season::Winter) => "겨울",
            (CourseLanguage::En, Season::Spring) => "spring",
            (CourseLanguage::En, Season::Summer) => "summer",
            (CourseLanguage::En, Season::Autumn) => "autumn",
            (CourseLanguage::En, Season::Winter) => "winter",
        }
    }

    /// The part of the day's name.
    pub(crate) fn time_of_day(language: CourseLanguage, time: TimeOfDay) -> &'static str {
        match (language, time) {
            (CourseLanguage::Ko, TimeOfDay::Morning) => "아침",
            (CourseLanguage::Ko, TimeOfDay::Afternoon) => "오후",
            (CourseLanguage::Ko, TimeOfDay::Evening) => "저녁",
            (CourseLanguage::Ko, TimeOfDay::Night) => "밤",
            (CourseLanguage::En, TimeOfDay::Morning) => "morning",
            (CourseLanguage::En, TimeOfDay::Afternoon) => "afternoon",
            (CourseLanguage::En, TimeOfDay::Evening) => "evening",
            (CourseLanguage::En, TimeOfDay::Night) => "night",
        }
    }

    /// How the couple moves, as a noun phrase.
    pub(crate) fn transport(language: CourseLanguage, transport: Transport) -> &'static str {
        match (language, transport) {
            (CourseLanguage::Ko, Transport::Walk) => "도보",
            (CourseLanguage::Ko, Transport::Transit) => "대중교통",
            (CourseLanguage::Ko, Transport::Car) => "자동차",
            (CourseLanguage::En, Transport::Walk) => "on foot",
            (CourseLanguage::En, Transport::Transit) => "by subway and bus",
            (CourseLanguage::En, Transport::Car) => "by car",
        }
    }

    /// The budget, as a phrase.
    pub(crate) fn budget(language: CourseLanguage, budget: Budget) -> &'static str {
        match (language, budget) {
            (CourseLanguage::Ko, Budget::Low) => "적은 예산",
            (CourseLanguage::Ko, Budget::Medium) => "보통 예산",
            (CourseLanguage::Ko, Budget::High) => "넉넉한 예산",
            (CourseLanguage::En, Budget::Low) => "a small budget",
            (CourseLanguage::En, Budget::Medium) => "a medium budget",
            (CourseLanguage::En, Budget::High) => "a generous budget",
        }
    }

    /// The language's own name in English (for prompts).
    pub(crate) fn language(language: CourseLanguage) -> &'static str {
        match language {
            CourseLanguage::Ko => "Korean",
            CourseLanguage::En => "English",
        }
    }
}
