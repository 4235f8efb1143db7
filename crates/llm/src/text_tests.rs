//! Unit tests of the schema and validation.

use moji_common::course::{CourseLanguage, Region, Season, TimeOfDay, Transport};
use serde_json::json;

use super::*;
use crate::StopBrief;

fn brief(language: CourseLanguage, stops: usize) -> CourseBrief {
    CourseBrief {
        language,
        region: Region::Seoul,
        season: Season::Spring,
        time_of_day: TimeOfDay::Afternoon,
        transport: Transport::Walk,
        mood: None,
        budget: None,
        stops: (0..stops)
            .map(|i| StopBrief {
                name: format!("Stop {i}"),
                category: String::from("park"),
                indoor: false,
                arrival: format!("{:02}:00", 13 + i),
                stay_minutes: 45,
                travel_minutes: if i == 0 { 0 } else { 10 },
                description: String::new(),
            })
            .collect(),
    }
}

fn text(title: &str, notes: usize, tips: usize) -> CourseText {
    CourseText {
        title: title.to_owned(),
        intro: String::from("An afternoon in Seoul."),
        notes: (0..notes).map(|i| format!("  Note {i}  ")).collect(),
        tips: (0..tips).map(|i| format!("Tip {i}")).collect(),
    }
}

#[test]
fn schema_fixes_the_number_of_notes() {
    let schema = course_schema(4);
    assert_eq!(schema["properties"]["notes"]["minItems"], json!(4));
    assert_eq!(schema["properties"]["notes"]["maxItems"], json!(4));
    assert_eq!(schema["properties"]["tips"]["minItems"], json!(1));
    assert_eq!(schema["properties"]["tips"]["maxItems"], json!(MAX_TIPS));
    assert_eq!(
        schema["properties"]["title"]["maxLength"],
        json!(TITLE_MAX_CHARS)
    );
    assert_eq!(
        schema["properties"]["notes"]["items"]["maxLength"],
        json!(NOTE_MAX_CHARS)
    );
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(
        schema["required"],
        json!(["title", "intro", "notes", "tips"])
    );
    assert_eq!(
        course_schema(3)["properties"]["notes"]["maxItems"],
        json!(3)
    );
}

#[test]
fn strict_schema_leaves_string_lengths_out() {
    let schema = schema_with(4, Limits::FULL, false);
    assert_eq!(schema["properties"]["title"], json!({"type": "string"}));
    assert_eq!(schema["properties"]["notes"]["maxItems"], json!(4));
}

#[test]
fn valid_text_comes_back_trimmed() {
    let b = brief(CourseLanguage::En, 3);
    let out = validate(text(" A day out ", 3, 2), &b);
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.title, "A day out");
    assert_eq!(out.notes[0], "Note 0");
}

#[test]
fn counts_are_enforced() {
    let b = brief(CourseLanguage::En, 3);
    assert!(validate(text("T", 2, 1), &b).is_err());
    assert!(validate(text("T", 4, 1), &b).is_err());
    assert!(validate(text("T", 3, 0), &b).is_err());
    assert!(validate(text("T", 3, 5), &b).is_err());
    assert!(validate(text("T", 3, 4), &b).is_ok());
}

#[test]
fn lengths_are_in_characters() {
    let b = brief(CourseLanguage::Ko, 1);
    let exact: String = "가".repeat(TITLE_MAX_CHARS);
    assert!(validate(text(&exact, 1, 1), &b).is_ok());
    let over: String = "가".repeat(TITLE_MAX_CHARS + 1);
    assert!(validate(text(&over, 1, 1), &b).is_err());
    let mut long_note = text("가", 1, 1);
    long_note.notes[0] = "n".repeat(NOTE_MAX_CHARS + 1);
    assert!(validate(long_note, &b).is_err());
    let mut long_tip = text("가", 1, 1);
    long_tip.tips[0] = "t".repeat(TIP_MAX_CHARS + 1);
    assert!(validate(long_tip, &b).is_err());
    let mut long_intro = text("가", 1, 1);
    long_intro.intro = "i".repeat(INTRO_MAX_CHARS + 1);
    assert!(validate(long_intro, &b).is_err());
}

#[test]
fn empty_fields_are_refused() {
    let b = brief(CourseLanguage::En, 2);
    assert!(validate(text("   ", 2, 1), &b).is_err());
    let mut empty_note = text("T", 2, 1);
    empty_note.notes[1] = String::from(" ");
    let err = validate(empty_note, &b).err().unwrap_or_default();
    assert!(err.contains("notes[1]"), "{err}");
    let mut empty_tip = text("T", 2, 1);
    empty_tip.tips[0] = String::new();
    assert!(validate(empty_tip, &b).is_err());
}

#[test]
fn korean_titles_need_hangul() {
    let b = brief(CourseLanguage::Ko, 1);
    assert!(validate(text("Seoul in spring", 1, 1), &b).is_err());
    assert!(validate(text("Seoul 봄 데이트", 1, 1), &b).is_ok());
    let en = brief(CourseLanguage::En, 1);
    assert!(validate(text("Seoul in spring", 1, 1), &en).is_ok());
}

#[test]
fn parse_reads_json_and_fences() {
    let b = brief(CourseLanguage::En, 1);
    let raw = r#"{"title":"T","intro":"I","notes":["N"],"tips":["P"]}"#;
    assert!(parse(raw, &b).is_ok());
    assert!(parse(&format!("```json\n{raw}\n```"), &b).is_ok());
    assert!(parse("not json", &b).is_err());
    assert!(parse(r#"{"title":"T","intro":"I","notes":["N"]}"#, &b).is_err());
    let extra = r#"{"title":"T","intro":"I","notes":["N"],"tips":["P"],"x":1}"#;
    assert!(parse(extra, &b).is_err());
}

#[test]
fn clock_times_must_be_the_planned_arrivals() {
    let b = brief(CourseLanguage::En, 3);
    let mut t = text("A walk", 3, 1);
    t.notes[1] = String::from("Stop 1 at 14:00, stay until the light fades.");
    t.intro = String::from("Start at 13:00 and end by 15:00.");
    assert!(validate(t.clone(), &b).is_ok());
    t.notes[0] = String::from("Stop 0 at 24:58 for 96.7");
    let why = validate(t.clone(), &b).unwrap_err();
    assert!(why.contains("notes[0] gives 24:58"), "{why}");
    t.notes[0] = String::from("Stop 0, at 9:30 sharp");
    assert!(validate(t.clone(), &b).unwrap_err().contains("09:30"));
    // Another stop's arrival in a note is wrong too; ratios and long numbers are not times.
    t.notes[0] = String::from("Stop 0 until 14:00");
    assert!(validate(t.clone(), &b).is_err());
    t.notes[0] = String::from("Stop 0: a 1:2 view, open 123:456");
    assert!(validate(t.clone(), &b).is_ok());
    t.tips[0] = String::from("The last train leaves at 23:40.");
    assert!(validate(t, &b).unwrap_err().starts_with("tips gives 23:40"));
}
