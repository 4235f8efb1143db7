//! The pure parts of a course: the writer's brief from the planned stops, and the course
//! document from the stops and the written text.

use moji_common::course::{CourseDocument, CourseLanguage, CourseRequest, CourseStop};
use moji_llm::{CourseBrief, StopBrief, Written};
use moji_places::{course_minutes, PlannedStop};

fn korean(request: &CourseRequest) -> bool {
    request.language() == CourseLanguage::Ko
}

/// What the writer is told: the request and the stops, in the course language.
pub fn brief(request: &CourseRequest, stops: &[PlannedStop]) -> CourseBrief {
    let ko = korean(request);
    CourseBrief {
        language: request.language(),
        region: request.region,
        season: request.season,
        time_of_day: request.time_of_day,
        transport: request.transport,
        mood: request.mood.clone(),
        budget: request.budget,
        stops: stops
            .iter()
            .map(|s| StopBrief {
                name: s.place.name(ko).to_owned(),
                category: s.place.category.as_str().to_owned(),
                indoor: s.place.indoor,
                arrival: s.arrival(),
                stay_minutes: s.stay_minutes,
                travel_minutes: s.travel_minutes,
                description: s.place.description(ko).to_owned(),
            })
            .collect(),
    }
}

/// The finished course: the planner's stops with the writer's words.
pub fn document(
    request: &CourseRequest,
    stops: &[PlannedStop],
    written: &Written,
) -> CourseDocument {
    let ko = korean(request);
    CourseDocument {
        title: written.text.title.clone(),
        intro: written.text.intro.clone(),
        language: request.language(),
        region: request.region,
        season: request.season,
        time_of_day: request.time_of_day,
        transport: request.transport,
        mood: request.mood.clone(),
        budget: request.budget,
        stops: stops
            .iter()
            .enumerate()
            .map(|(i, s)| CourseStop {
                place_id: s.place.id.clone(),
                name: s.place.name(ko).to_owned(),
                name_ko: s.place.name_ko.clone(),
                name_en: s.place.name_en.clone(),
                lat: s.place.lat,
                lng: s.place.lng,
                category: s.place.category.as_str().to_owned(),
                indoor: s.place.indoor,
                arrival: s.arrival(),
                stay_minutes: s.stay_minutes,
                travel_minutes: s.travel_minutes,
                distance_km: (s.distance_km * 100.0).round() / 100.0,
                note: written.text.notes.get(i).cloned().unwrap_or_default(),
            })
            .collect(),
        tips: written.text.tips.clone(),
        total_minutes: course_minutes(stops),
        provider: written.provider.as_str().to_owned(),
        model: written.model.clone(),
    }
}

/// A low-cardinality label for why the model's text was not used.
pub fn fallback_label(reason: &str) -> &'static str {
    let reason = reason.to_ascii_lowercase();
    // Invalid output first: its reason may quote a time ("notes[0] gives 24:58 …").
    if reason.contains("schema")
        || reason.contains("json")
        || reason.contains("invalid")
        || reason.contains("valid")
    {
        "invalid_output"
    } else if reason.contains("time") {
        "timeout"
    } else {
        "error"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_reasons_fold_into_few_labels() {
        assert_eq!(fallback_label("the model timed out after 30 s"), "timeout");
        assert_eq!(fallback_label("output is not valid JSON"), "invalid_output");
        assert_eq!(fallback_label("HTTP 500 from the endpoint"), "error");
        assert_eq!(
            fallback_label("invalid output: notes[0] gives 24:58, not the stop's arrival time"),
            "invalid_output"
        );
    }
}
