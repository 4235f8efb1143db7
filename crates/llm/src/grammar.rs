//! The schema the local model's grammar is made from: [`crate::course_schema`]'s shape with
//! lengths cut to what fits in `max_tokens` (so the JSON closes before the budget runs out), plain
//! characters only, and each note grounded by starting with its stop's name.

use llama_cpp_2::json_schema_to_grammar;
use moji_common::course::CourseLanguage;
use serde_json::{json, Value};

use crate::text::{schema_with, Limits};
use crate::{CourseBrief, LlmError, NOTE_MAX_CHARS};

/// The order the model writes the fields in (a title is easier to write first, tips last).
const FIELD_ORDER: [&str; 4] = ["title", "intro", "notes", "tips"];

/// The GBNF grammar for `brief` within `max_tokens`: llama.cpp's translation of [`local_schema`]
/// (fields in [`FIELD_ORDER`]), with whitespace between tokens cut to one optional space so the
/// model spends its tokens on words.
pub(crate) fn local_grammar(brief: &CourseBrief, max_tokens: u32) -> Result<String, LlmError> {
    let schema = ordered_json(&local_schema(brief, max_tokens));
    let gbnf = json_schema_to_grammar(&schema)
        .map_err(|e| LlmError::Llama(format!("grammar from the schema: {e}")))?;
    let mut out = String::with_capacity(gbnf.len());
    for line in gbnf.lines() {
        if line.starts_with("space ::=") {
            out.push_str("space ::= \" \"?");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Ok(out)
}

/// `value` as JSON with object keys in [`FIELD_ORDER`] first (llama.cpp keeps the order it reads
/// properties in; `serde_json` would sort them).
fn ordered_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            let rank = |k: &str| {
                FIELD_ORDER
                    .iter()
                    .position(|f| *f == k)
                    .unwrap_or(FIELD_ORDER.len())
            };
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), ordered_json(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(ordered_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Bounds for the local model, from the token budget. SmolLM2's tokenizer spends about 2.3 tokens
/// on a Hangul syllable and about 0.25 on an English character; the JSON around the text and the
/// stop names (forced into the notes) come off the budget first.
pub(crate) fn local_limits(brief: &CourseBrief, max_tokens: u32) -> Limits {
    let (chars_per_token, tokens_per_name_char) = match brief.language {
        CourseLanguage::Ko => (0.4, 2.5),
        CourseLanguage::En => (3.5, 0.35),
    };
    let stops = brief.stops.len().max(1);
    let names: f64 = brief
        .stops
        .iter()
        .map(|s| s.name.chars().count() as f64 * tokens_per_name_char)
        .sum();
    let overhead = 30.0 + 4.0 * (stops as f64 + 3.0) + names;
    let free = (f64::from(max_tokens) - overhead).max(40.0);
    // 10% to spare: a rare character costs more than the average.
    let chars = free * chars_per_token * 0.9;
    let part = |share: f64, min: usize, max: usize| ((chars * share) as usize).clamp(min, max);
    let tips = if chars >= 500.0 {
        3
    } else if chars >= 250.0 {
        2
    } else {
        1
    };
    Limits {
        title: part(0.10, 8, 60),
        intro: part(0.22, 12, 200),
        note: part(0.50 / stops as f64, 10, 160),
        tip: part(0.18 / tips as f64, 8, 100),
        tips,
    }
}

/// A character of free text: anything but a quote, a backslash or a control character, so the
/// model writes no JSON escapes and a string's length is its length in characters; and no colon,
/// so it cannot write a clock time (it invents them: "13:05" for a 13:00 arrival), which
/// validation would refuse. The planner's times are in the course already.
const PLAIN: &str = "[^\"\\\\:\\x00-\\x1F]";

/// A string schema of `min..=max` plain characters (`min` capped at `max`) after `prefix` (a
/// regex).
fn plain(prefix: &str, min: usize, max: usize) -> Value {
    let min = min.min(max);
    json!({"type": "string", "pattern": format!("^{prefix}{PLAIN}{{{min},{max}}}$")})
}

/// The JSON Schema whose grammar constrains the local model for `brief` within `max_tokens`.
pub(crate) fn local_schema(brief: &CourseBrief, max_tokens: u32) -> Value {
    let limits = local_limits(brief, max_tokens);
    let mut schema = schema_with(brief.stops.len(), limits, true);
    schema["properties"]["title"] = plain("", 4, limits.title);
    schema["properties"]["intro"] = plain("", 10, limits.intro);
    schema["properties"]["tips"]["items"] = plain("", 5, limits.tip);
    let notes: Vec<Value> = brief
        .stops
        .iter()
        .map(|stop| {
            let name = stop.name.trim();
            // The name plus its tail stays within the note limit validate() applies.
            let room = NOTE_MAX_CHARS.saturating_sub(name.chars().count() + 1);
            plain(&regex_literal(name), 6, limits.note.min(room))
        })
        .collect();
    if let Some(notes_schema) = schema.pointer_mut("/properties/notes") {
        // llama.cpp reads `items` before `prefixItems`: the tuple must be the only one.
        if let Some(obj) = notes_schema.as_object_mut() {
            obj.remove("items");
        }
        notes_schema["prefixItems"] = Value::Array(notes);
    }
    schema
}

/// `text` as a regular expression that matches exactly it.
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '^' | '$' | '.' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            // A quote would end the JSON string; the name keeps its other characters.
            '"' => out.push('\''),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief() -> CourseBrief {
        use moji_common::course::{CourseLanguage, Region, Season, TimeOfDay, Transport};
        let stop = |name: &str| crate::StopBrief {
            name: name.to_owned(),
            category: String::from("palace"),
            indoor: false,
            arrival: String::from("13:00"),
            stay_minutes: 60,
            travel_minutes: 10,
            description: String::new(),
        };
        CourseBrief {
            language: CourseLanguage::Ko,
            region: Region::Seoul,
            season: Season::Spring,
            time_of_day: TimeOfDay::Afternoon,
            transport: Transport::Walk,
            mood: None,
            budget: None,
            stops: vec![
                stop("경복궁"),
                stop("N Seoul Tower (Namsan)"),
                stop("Say \"hi\""),
            ],
        }
    }

    #[test]
    fn grammar_grounds_each_note_in_its_stop() {
        let gbnf = local_grammar(&brief(), 400).unwrap_or_else(|e| panic!("{e}"));
        if std::env::var_os("MOJI_PRINT_GRAMMAR").is_some() {
            println!("{gbnf}");
        }
        let root = gbnf
            .lines()
            .find(|l| l.starts_with("root ::="))
            .unwrap_or_default();
        let at = |field: &str| root.find(field).unwrap_or(usize::MAX);
        assert!(at("title") < at("intro") && at("intro") < at("notes") && at("notes") < at("tips"));
        for name in ["경복궁", "N Seoul Tower (Namsan)", "Say 'hi'"] {
            assert!(gbnf.contains(name), "{name} missing from\n{gbnf}");
        }
        assert!(gbnf.contains("space ::= \" \"?"));
    }

    #[test]
    fn lengths_fit_the_token_budget() {
        let mut b = brief();
        let ko = local_limits(&b, 400);
        b.language = CourseLanguage::En;
        let en = local_limits(&b, 400);
        assert!(ko.title < en.title && ko.note < en.note, "{ko:?} vs {en:?}");
        assert_eq!(en.title, 60);
        let tiny = local_limits(&b, 10);
        assert!(tiny.title >= 8 && tiny.note >= 10 && tiny.tips == 1);
        let roomy = local_limits(&b, 4000);
        assert_eq!(
            (roomy.title, roomy.intro, roomy.note, roomy.tip),
            (60, 200, 160, 100)
        );
    }

    #[test]
    fn fields_keep_their_order() {
        let v = json!({"tips": 1, "notes": 2, "intro": 3, "title": 4, "a": [{"b": 1, "a": 2}]});
        assert_eq!(
            ordered_json(&v),
            r#"{"title":4,"intro":3,"notes":2,"tips":1,"a":[{"a":2,"b":1}]}"#
        );
    }

    #[test]
    fn regex_literal_escapes_metacharacters() {
        assert_eq!(
            regex_literal("N Seoul Tower (Namsan)"),
            "N Seoul Tower \\(Namsan\\)"
        );
        assert_eq!(regex_literal("a.b*c\"d"), "a\\.b\\*c'd");
        assert_eq!(regex_literal("경복궁"), "경복궁");
    }
}
