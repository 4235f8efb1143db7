//! The text a writer returns, its JSON Schema and its validation.

use moji_common::course::CourseLanguage;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::CourseBrief;

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 80;
/// Longest intro, in characters.
pub const INTRO_MAX_CHARS: usize = 400;
/// Longest note of a stop, in characters.
pub const NOTE_MAX_CHARS: usize = 300;
/// Longest tip, in characters.
pub const TIP_MAX_CHARS: usize = 200;
/// Most tips.
pub const MAX_TIPS: usize = 4;

/// The words of a course: what a writer produces for a [`CourseBrief`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseText {
    /// 1–80 characters.
    pub title: String,
    /// One or two opening sentences, 1–400 characters.
    pub intro: String,
    /// Exactly one note per stop, in stop order, each 1–300 characters.
    pub notes: Vec<String>,
    /// 1–4 practical tips, each 1–200 characters.
    pub tips: Vec<String>,
}

/// Bounds of the strings and arrays of a schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) title: usize,
    pub(crate) intro: usize,
    pub(crate) note: usize,
    pub(crate) tip: usize,
    pub(crate) tips: usize,
}

impl Limits {
    /// The limits [`validate`] enforces.
    pub(crate) const FULL: Limits = Limits {
        title: TITLE_MAX_CHARS,
        intro: INTRO_MAX_CHARS,
        note: NOTE_MAX_CHARS,
        tip: TIP_MAX_CHARS,
        tips: MAX_TIPS,
    };
}

/// The JSON Schema of [`CourseText`] for a course of `stop_count` stops (`notes` has exactly that
/// many items). Lengths are in characters; every field is required, nothing else is allowed.
pub fn course_schema(stop_count: usize) -> Value {
    schema_with(stop_count, Limits::FULL, true)
}

/// The schema with the given bounds; string lengths only when `lengths` (OpenAI's strict mode
/// refuses `minLength`/`maxLength`, so that provider leaves them to [`validate`]).
pub(crate) fn schema_with(stop_count: usize, limits: Limits, lengths: bool) -> Value {
    let string = |max: usize| {
        if lengths {
            json!({"type": "string", "minLength": 1, "maxLength": max})
        } else {
            json!({"type": "string"})
        }
    };
    json!({
        "type": "object",
        "properties": {
            "title": string(limits.title),
            "intro": string(limits.intro),
            "notes": {
                "type": "array",
                "items": string(limits.note),
                "minItems": stop_count,
                "maxItems": stop_count,
            },
            "tips": {
                "type": "array",
                "items": string(limits.tip),
                "minItems": 1,
                "maxItems": limits.tips,
            },
        },
        "required": ["title", "intro", "notes", "tips"],
        "additionalProperties": false,
    })
}

/// Parses a writer's raw output (a JSON object, optionally inside a Markdown code fence) and
/// [`validate`]s it.
pub fn parse(raw: &str, brief: &CourseBrief) -> Result<CourseText, String> {
    let body = strip_fence(raw.trim());
    let text: CourseText =
        serde_json::from_str(body).map_err(|e| format!("not the course JSON: {e}"))?;
    validate(text, brief)
}

/// Checks `text` against the schema's rules for `brief` and returns it trimmed: non-empty fields
/// within their lengths, one note per stop, 1–4 tips, and in a Korean course some Hangul in the
/// title. The error says what is wrong.
pub fn validate(text: CourseText, brief: &CourseBrief) -> Result<CourseText, String> {
    let title = field("title", &text.title, TITLE_MAX_CHARS)?;
    let intro = field("intro", &text.intro, INTRO_MAX_CHARS)?;
    if text.notes.len() != brief.stops.len() {
        return Err(format!(
            "{} notes for {} stops",
            text.notes.len(),
            brief.stops.len()
        ));
    }
    if text.tips.is_empty() || text.tips.len() > MAX_TIPS {
        return Err(format!("{} tips (1–{MAX_TIPS} allowed)", text.tips.len()));
    }
    let notes = text
        .notes
        .iter()
        .enumerate()
        .map(|(i, note)| field(&format!("notes[{i}]"), note, NOTE_MAX_CHARS))
        .collect::<Result<Vec<_>, _>>()?;
    let tips = text
        .tips
        .iter()
        .enumerate()
        .map(|(i, tip)| field(&format!("tips[{i}]"), tip, TIP_MAX_CHARS))
        .collect::<Result<Vec<_>, _>>()?;
    if brief.language == CourseLanguage::Ko && !title.chars().any(is_hangul) {
        return Err(String::from("the title of a Korean course has no Hangul"));
    }
    check_clock_times(&intro, &notes, &tips, brief)?;
    Ok(CourseText {
        title,
        intro,
        notes,
        tips,
    })
}

/// Whether `c` is a Hangul syllable or jamo.
pub(crate) fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// The planner sets the times: a note may only give its own stop's arrival, the intro and tips
/// only the course's arrivals (a small model otherwise writes times such as "24:58").
fn check_clock_times(
    intro: &str,
    notes: &[String],
    tips: &[String],
    brief: &CourseBrief,
) -> Result<(), String> {
    let arrivals: Vec<&str> = brief.stops.iter().map(|s| s.arrival.as_str()).collect();
    for (i, (note, stop)) in notes.iter().zip(&brief.stops).enumerate() {
        if let Some(time) = clock_times(note).find(|t| *t != stop.arrival) {
            return Err(format!(
                "notes[{i}] gives {time}, not the stop's arrival {}",
                stop.arrival
            ));
        }
    }
    for (name, value) in
        std::iter::once(("intro", intro)).chain(tips.iter().map(|t| ("tips", t.as_str())))
    {
        if let Some(time) = clock_times(value).find(|t| !arrivals.contains(&t.as_str())) {
            return Err(format!("{name} gives {time}, which is no stop's arrival"));
        }
    }
    Ok(())
}

/// Every `H:MM` / `HH:MM` in `text`, as `HH:MM`.
fn clock_times(text: &str) -> impl Iterator<Item = String> + '_ {
    let bytes = text.as_bytes();
    (0..bytes.len()).filter_map(move |colon| {
        if bytes[colon] != b':' || colon == 0 {
            return None;
        }
        let digit = |i: usize| {
            bytes
                .get(i)
                .filter(|b| b.is_ascii_digit())
                .map(|b| b - b'0')
        };
        let (m1, m2) = (digit(colon + 1)?, digit(colon + 2)?);
        if digit(colon + 3).is_some() {
            return None;
        }
        let h2 = digit(colon - 1)?;
        let h1 = colon.checked_sub(2).and_then(digit);
        if h1.is_some() && colon.checked_sub(3).and_then(digit).is_some() {
            return None;
        }
        let hour = h1.map_or(h2, |h1| h1 * 10 + h2);
        Some(format!("{hour:02}:{m1}{m2}"))
    })
}

fn field(name: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars == 0 {
        return Err(format!("{name} is empty"));
    }
    if chars > max {
        return Err(format!("{name} has {chars} characters (at most {max})"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("{name} has control characters"));
    }
    Ok(value.to_owned())
}

/// The body of a ```` ```json ```` fence, or `raw` itself.
fn strip_fence(raw: &str) -> &str {
    let Some(rest) = raw.strip_prefix("```") else {
        return raw;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
