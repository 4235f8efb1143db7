//! The template writer: deterministic sentences from the brief, in Korean or English. Always
//! valid, so it is the fallback of every other writer.

use moji_common::course::{CourseLanguage, Season, TimeOfDay, Transport};

use crate::brief::words;
use crate::text::{
    CourseText, INTRO_MAX_CHARS, MAX_TIPS, NOTE_MAX_CHARS, TIP_MAX_CHARS, TITLE_MAX_CHARS,
};
use crate::{CourseBrief, CourseWriter, LlmError, Provider, StopBrief};

mod phrases;

use phrases::{category_phrase, mix_tip, season_tip, time_tip, transport_tip};

/// Longest part of the mood quoted in a title, in characters.
const TITLE_MOOD_CHARS: usize = 30;

/// Writes a course's text from fixed phrases: a title from region, season, time and mood, an intro,
/// a note per stop (what to do there by its category, when you arrive, how long the way is) and
/// tips for the season, the time of day, the transport and the indoor/outdoor mix.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateWriter;

impl TemplateWriter {
    /// The course's text. Every field is within the schema's limits (over-long names are cut).
    pub fn text(&self, brief: &CourseBrief) -> CourseText {
        let l = brief.language;
        CourseText {
            title: fit(title(brief), TITLE_MAX_CHARS),
            intro: fit(intro(brief), INTRO_MAX_CHARS),
            notes: brief
                .stops
                .iter()
                .enumerate()
                .map(|(i, stop)| fit(note(l, brief.transport, i, stop), NOTE_MAX_CHARS))
                .collect(),
            tips: tips(brief)
                .into_iter()
                .take(MAX_TIPS)
                .map(|tip| fit(tip, TIP_MAX_CHARS))
                .collect(),
        }
    }
}

impl CourseWriter for TemplateWriter {
    fn provider(&self) -> Provider {
        Provider::Template
    }

    fn model(&self) -> String {
        String::from("template")
    }

    fn write(&self, brief: &CourseBrief) -> Result<String, LlmError> {
        serde_json::to_string(&self.text(brief)).map_err(|e| LlmError::Response(e.to_string()))
    }
}

fn title(brief: &CourseBrief) -> String {
    let l = brief.language;
    let region = words::region(l, brief.region);
    let season = words::season(l, brief.season);
    let time = words::time_of_day(l, brief.time_of_day);
    let mood = brief
        .mood
        .as_deref()
        .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|m| !m.is_empty())
        .map(|m| fit(m, TITLE_MOOD_CHARS));
    match (l, mood) {
        (CourseLanguage::Ko, Some(mood)) => format!("{region} {season} {time} 데이트 · {mood}"),
        (CourseLanguage::En, Some(mood)) => format!("{region} on a {season} {time}: {mood}"),
        (CourseLanguage::Ko, None) => {
            let adjective = match brief.season {
                Season::Spring => "설레는",
                Season::Summer => "청량한",
                Season::Autumn => "낭만 가득한",
                Season::Winter => "포근한",
            };
            format!("{adjective} {region} {season} {time} 데이트")
        }
        (CourseLanguage::En, None) => {
            let adjective = match brief.season {
                Season::Spring => "Blossoming",
                Season::Summer => "Breezy",
                Season::Autumn => "Golden",
                Season::Winter => "Cosy",
            };
            let time = match brief.time_of_day {
                TimeOfDay::Morning => "Morning",
                TimeOfDay::Afternoon => "Afternoon",
                TimeOfDay::Evening => "Evening",
                TimeOfDay::Night => "Night",
            };
            format!("{adjective} {region} {time} Date")
        }
    }
}

fn intro(brief: &CourseBrief) -> String {
    let l = brief.language;
    let region = words::region(l, brief.region);
    let season = words::season(l, brief.season);
    let time = words::time_of_day(l, brief.time_of_day);
    let n = brief.stops.len();
    let (Some(first), Some(last)) = (brief.stops.first(), brief.stops.last()) else {
        return match l {
            CourseLanguage::Ko => format!("{region}의 {season} {time} 데이트 코스예요."),
            CourseLanguage::En => format!("A {season} {time} date in {region}."),
        };
    };
    let mut out = match l {
        CourseLanguage::Ko => format!(
            "{region}의 {season} {time}, {n}곳을 {}잇는 코스예요. {}에 {}에서 시작해 {}에서 마무리해요.",
            by_ko(brief.transport),
            first.arrival,
            first.name.trim(),
            last.name.trim(),
        ),
        CourseLanguage::En => format!(
            "{n} stops across {region} on a {season} {time}, {}. Start at {} at {} and finish at {}.",
            words::transport(l, brief.transport),
            first.name.trim(),
            first.arrival,
            last.name.trim(),
        ),
    };
    if let Some(budget) = brief.budget {
        match l {
            CourseLanguage::Ko => {
                out.push_str(&format!(
                    " {}에 맞춘 장소들이에요.",
                    words::budget(l, budget)
                ));
            }
            CourseLanguage::En => {
                out.push_str(&format!(" Every stop fits {}.", words::budget(l, budget)));
            }
        }
    }
    out
}

fn note(l: CourseLanguage, transport: Transport, index: usize, stop: &StopBrief) -> String {
    let name = stop.name.trim();
    let phrase = category_phrase(l, &stop.category);
    let stay = stop.stay_minutes;
    match (l, index) {
        (CourseLanguage::Ko, 0) => format!(
            "{}에 {name}에서 시작해요. {phrase} 약 {stay}분 머물러요.",
            stop.arrival
        ),
        (CourseLanguage::Ko, _) => format!(
            "{} {}분 이동해 {}에 {name}에 도착해요. {phrase} 약 {stay}분 머물러요.",
            by_ko(transport),
            stop.travel_minutes,
            stop.arrival
        ),
        (CourseLanguage::En, 0) => format!(
            "Start at {name} at {}. {phrase} Plan on about {}.",
            stop.arrival,
            minutes(stay)
        ),
        (CourseLanguage::En, _) => format!(
            "{} {} brings you to {name} by {}. {phrase} Stay about {}.",
            capitalise(&minutes(stop.travel_minutes)),
            words::transport(l, transport),
            stop.arrival,
            minutes(stay)
        ),
    }
}

fn tips(brief: &CourseBrief) -> Vec<String> {
    let l = brief.language;
    let indoor = brief.stops.iter().filter(|s| s.indoor).count();
    let outdoor = brief.stops.len() - indoor;
    [
        Some(season_tip(l, brief.season)),
        Some(time_tip(l, brief.time_of_day, brief.transport)),
        Some(transport_tip(l, brief.transport)),
        mix_tip(l, indoor, outdoor),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `transport` with the instrumental particle: 도보로, 대중교통으로, 차로.
fn by_ko(transport: Transport) -> &'static str {
    match transport {
        Transport::Walk => "도보로",
        Transport::Transit => "대중교통으로",
        Transport::Car => "차로",
    }
}

fn minutes(n: u32) -> String {
    if n == 1 {
        String::from("1 minute")
    } else {
        format!("{n} minutes")
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// `s` cut to at most `max` characters (ending in `…` when cut); never empty.
fn fit(s: String, max: usize) -> String {
    let s = s.trim();
    let out = if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
        cut.truncate(cut.trim_end().len());
        cut.push('…');
        cut
    };
    if out.is_empty() {
        String::from("…")
    } else {
        out
    }
}
