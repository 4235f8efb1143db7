#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The template writer is valid for every region, language, season, time of day and transport,
//! with 1–5 stops, with and without mood and budget; and it is deterministic.

mod common;

use moji_common::course::{Budget, CourseLanguage, Region, Season, TimeOfDay, Transport};
use moji_llm::{
    parse, validate, CourseBrief, CourseWriter, Provider, StopBrief, TemplateWriter, Writers,
};

const CATEGORIES: [&str; 8] = [
    "palace",
    "cafe",
    "beach",
    "museum",
    "market",
    "park",
    "observatory",
    "bar",
];

fn stops(n: usize, language: CourseLanguage) -> Vec<StopBrief> {
    (0..n)
        .map(|i| StopBrief {
            name: match language {
                CourseLanguage::Ko => format!("장소 {}", i + 1),
                CourseLanguage::En => format!("Place {}", i + 1),
            },
            category: CATEGORIES[i % CATEGORIES.len()].to_owned(),
            indoor: i % 2 == 1,
            arrival: format!("{:02}:{:02}", 9 + i, (i * 17) % 60),
            stay_minutes: 30 + 15 * i as u32,
            travel_minutes: if i == 0 { 0 } else { 1 + 7 * i as u32 },
            description: String::from("A place."),
        })
        .collect()
}

#[test]
fn valid_for_every_combination() {
    let template = TemplateWriter;
    let mut checked = 0;
    for language in CourseLanguage::ALL {
        for region in Region::ALL {
            for season in Season::ALL {
                for time_of_day in TimeOfDay::ALL {
                    for transport in Transport::ALL {
                        for n in 1..=5 {
                            let brief = CourseBrief {
                                language,
                                region,
                                season,
                                time_of_day,
                                transport,
                                mood: (n % 2 == 0).then(|| String::from("quiet, 조용한 산책")),
                                budget: Budget::ALL.get(n % 4).copied(),
                                stops: stops(n, language),
                            };
                            let text = template.text(&brief);
                            let valid = validate(text.clone(), &brief)
                                .unwrap_or_else(|e| panic!("{e}: {text:?} for {brief:?}"));
                            assert_eq!(valid, text, "already trimmed");
                            for (note, stop) in text.notes.iter().zip(&brief.stops) {
                                assert!(note.contains(&stop.name), "{note}");
                                assert!(note.contains(&stop.arrival), "{note}");
                            }
                            let raw = template.write(&brief).unwrap();
                            assert_eq!(parse(&raw, &brief).unwrap(), text);
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * 3 * 4 * 4 * 3 * 5);
}

#[test]
fn notes_mention_travel_time_and_tips_follow_the_brief() {
    let brief = common::briefs::busan_en();
    let text = TemplateWriter.text(&brief);
    println!("{}", serde_json::to_string_pretty(&text).unwrap());
    assert!(text.title.contains("Busan"));
    assert!(text.notes[1].starts_with("10 minutes by subway and bus brings you to"));
    assert!(text.notes[3].contains("30 minutes"));
    assert!(
        text.tips.iter().any(|t| t.contains("sunset")),
        "{:?}",
        text.tips
    );
    assert!(
        text.tips
            .iter()
            .any(|t| t.contains("1 indoor and 3 outdoor")),
        "{:?}",
        text.tips
    );

    let ko = common::briefs::seoul_ko();
    let text = TemplateWriter.text(&ko);
    println!("{}", serde_json::to_string_pretty(&text).unwrap());
    assert!(text.title.contains("서울"));
    assert!(text.notes[0].contains("경복궁") && text.notes[0].contains("13:00"));
    assert!(text.notes[1].contains("도보로 8분"));
    assert!(
        text.tips.iter().any(|t| t.contains("편한 신발")),
        "{:?}",
        text.tips
    );
}

#[test]
fn long_names_and_moods_are_cut_to_fit() {
    let mut brief = common::briefs::seoul_ko();
    brief.mood = Some("아주 ".repeat(100));
    brief.stops[0].name = "가".repeat(400);
    let text = TemplateWriter.text(&brief);
    validate(text.clone(), &brief).unwrap();
    assert!(text.notes[0].ends_with('…'));
}

#[test]
fn deterministic_and_reported_as_the_template() {
    let brief = common::briefs::seoul_ko();
    assert_eq!(TemplateWriter.text(&brief), TemplateWriter.text(&brief));
    let written = Writers::template_only().write(&brief);
    assert_eq!(written.provider, Provider::Template);
    assert_eq!(written.model, "template");
    assert_eq!(written.attempts, 0);
    assert!(written.fallback_reason.is_none());
    assert_eq!(written.text, TemplateWriter.text(&brief));
}
