//! The chat messages that ask a model for a course's text.

use std::fmt::Write as _;

use moji_common::course::CourseLanguage;

use crate::brief::words;
use crate::CourseBrief;

/// The system message.
pub(crate) fn system(brief: &CourseBrief) -> String {
    let language = words::language(brief.language);
    format!(
        "You write short, friendly texts for date courses in {language}. The places are already \
         chosen: write about them in the given order and never add, rename or reorder places. \
         Reply with one JSON object only."
    )
}

/// The user message: the course, its stops in order, and what to write.
pub(crate) fn user(brief: &CourseBrief) -> String {
    let l = brief.language;
    let mut out = format!(
        "Write a date course in {} for a couple in {} on a {} {}, moving {}.",
        words::language(l),
        words::region(CourseLanguage::En, brief.region),
        words::season(CourseLanguage::En, brief.season),
        words::time_of_day(CourseLanguage::En, brief.time_of_day),
        words::transport(CourseLanguage::En, brief.transport),
    );
    if let Some(mood) = brief
        .mood
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        let _ = write!(out, " They want: {mood}.");
    }
    if let Some(budget) = brief.budget {
        let _ = write!(
            out,
            " They have {}.",
            words::budget(CourseLanguage::En, budget)
        );
    }
    out.push_str("\nThe stops, in order:\n");
    for (i, stop) in brief.stops.iter().enumerate() {
        let _ = write!(
            out,
            "{}. {} at {} for {} minutes",
            i + 1,
            stop.name.trim(),
            stop.arrival,
            stop.stay_minutes
        );
        if i > 0 {
            let _ = write!(out, ", {} minutes from the last stop", stop.travel_minutes);
        }
        out.push('.');
        let description = stop.description.trim();
        if !description.is_empty() {
            let _ = write!(out, " {description}");
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "Reply with JSON: a \"title\", a one-sentence \"intro\", \"notes\" with exactly {} \
         strings (one or two sentences about each stop, in order) and \"tips\" with 1 to {} \
         practical tips.",
        brief.stops.len(),
        crate::MAX_TIPS,
    );
    if l == CourseLanguage::Ko {
        out.push_str(" Write every string in Korean (모든 문장을 한국어로).");
    }
    out
}

/// A worked example for small local models: a short course of two stops and a good answer, in
/// the course language (a 135M model follows an example far better than instructions).
pub(crate) fn example(language: CourseLanguage) -> (String, String) {
    use moji_common::course::{Region, Season, TimeOfDay, Transport};
    let stop =
        |name: &str, arrival: &str, stay: u32, travel: u32, description: &str| crate::StopBrief {
            name: name.to_owned(),
            category: String::new(),
            indoor: false,
            arrival: arrival.to_owned(),
            stay_minutes: stay,
            travel_minutes: travel,
            description: description.to_owned(),
        };
    let (stops, answer) = match language {
        CourseLanguage::Ko => (
            vec![
                stop("남산공원", "10:00", 60, 0, "서울 도심의 숲길 공원."),
                stop("N서울타워", "11:15", 60, 15, "서울 전경이 보이는 전망대."),
            ],
            r#"{"title": "남산 숲길과 전망 데이트", "intro": "숲길을 걷고 서울을 한눈에 내려다보는 가을 아침 코스예요.", "notes": ["남산공원에서 단풍 든 숲길을 천천히 걸으며 하루를 시작해요.", "N서울타워 전망대에서 서울 시내를 함께 내려다보세요."], "tips": ["오르막이 있으니 편한 신발을 신으세요."]}"#,
        ),
        CourseLanguage::En => (
            vec![
                stop(
                    "Namsan Park",
                    "10:00",
                    60,
                    0,
                    "A wooded park in central Seoul.",
                ),
                stop(
                    "N Seoul Tower",
                    "11:15",
                    60,
                    15,
                    "An observatory above the city.",
                ),
            ],
            r#"{"title": "Forest Paths and City Views", "intro": "An autumn morning of quiet trails and a view over all of Seoul.", "notes": ["Namsan Park starts the day with a slow walk under the autumn leaves.", "N Seoul Tower lets you look out over the whole city together."], "tips": ["The paths climb, so wear comfortable shoes."]}"#,
        ),
    };
    let brief = CourseBrief {
        language,
        region: Region::Seoul,
        season: Season::Autumn,
        time_of_day: TimeOfDay::Morning,
        transport: Transport::Walk,
        mood: None,
        budget: None,
        stops,
    };
    (user(&brief), answer.to_owned())
}
