//! Checks a catalogue: every place inside its region, unique ids, names and coordinates,
//! sensible hours, seasons, prices, stays and descriptions.

use std::collections::HashMap;

use crate::{haversine_km, region_bounds, Place};

/// Two places closer than this (km) are taken to be the same spot.
pub const MIN_SEPARATION_KM: f64 = 0.03;

/// Shortest and longest typical visit, minutes.
pub const STAY_RANGE: std::ops::RangeInclusive<u32> = 30..=180;

/// Checks every place and the catalogue as a whole; `Err` lists every problem found.
pub fn validate(places: &[Place]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for p in places {
        check_place(p, &mut problems);
    }
    unique(places, "id", |p| p.id.as_str(), &mut problems);
    unique(places, "name_ko", |p| p.name_ko.as_str(), &mut problems);
    unique(places, "name_en", |p| p.name_en.as_str(), &mut problems);
    for (i, a) in places.iter().enumerate() {
        for b in &places[i + 1..] {
            let km = haversine_km((a.lat, a.lng), (b.lat, b.lng));
            if km < MIN_SEPARATION_KM {
                problems.push(format!(
                    "{} and {} are {:.0} m apart",
                    a.id,
                    b.id,
                    km * 1000.0
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_place(p: &Place, problems: &mut Vec<String>) {
    let id = &p.id;
    let mut bad = |what: String| problems.push(format!("{id}: {what}"));
    let prefix = format!("{}-", p.region.as_str());
    let slug_ok = p.id.len() > prefix.len()
        && p.id.starts_with(&prefix)
        && p.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !p.id.ends_with('-')
        && !p.id.contains("--");
    if !slug_ok {
        bad(format!(
            "id is not a lowercase slug starting with {prefix:?}"
        ));
    }
    if !(p.lat.is_finite() && p.lng.is_finite() && region_bounds(p.region).contains(p.lat, p.lng)) {
        bad(format!(
            "({}, {}) is outside {}",
            p.lat,
            p.lng,
            p.region.as_str()
        ));
    }
    for (field, text) in [
        ("name_ko", &p.name_ko),
        ("name_en", &p.name_en),
        ("description_en", &p.description_en),
        ("description_ko", &p.description_ko),
    ] {
        if text.trim().is_empty() {
            bad(format!("{field} is empty"));
        } else if text.trim() != text {
            bad(format!("{field} has surrounding whitespace"));
        }
    }
    if let Err(e) = p.hours.check() {
        bad(e.to_string());
    }
    if p.seasons.is_empty() {
        bad("no seasons".to_owned());
    }
    let mut seasons = p.seasons.clone();
    seasons.sort();
    seasons.dedup();
    if seasons.len() != p.seasons.len() {
        bad("a season is listed twice".to_owned());
    }
    if p.price_level > 3 {
        bad(format!("price level {} is not 0–3", p.price_level));
    }
    if !STAY_RANGE.contains(&p.stay_minutes) {
        bad(format!("stay of {} minutes is not 30–180", p.stay_minutes));
    }
}

fn unique<'a>(
    places: &'a [Place],
    field: &str,
    key: impl Fn(&'a Place) -> &'a str,
    problems: &mut Vec<String>,
) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for p in places {
        if let Some(first) = seen.insert(key(p), &p.id) {
            problems.push(format!(
                "{} repeats the {field} of {first}: {:?}",
                p.id,
                key(p)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use moji_common::course::Region;

    use super::*;
    use crate::{catalogue, OpeningHours};

    #[test]
    fn the_bundled_catalogue_is_valid() {
        let places = catalogue().unwrap();
        if let Err(problems) = validate(places) {
            panic!("{} problems:\n{}", problems.len(), problems.join("\n"));
        }
    }

    #[test]
    fn finds_each_kind_of_problem() {
        let good = catalogue().unwrap()[0].clone();
        assert_eq!(validate(std::slice::from_ref(&good)), Ok(()));
        let fails = |change: &dyn Fn(&mut Place), needle: &str| {
            let mut p = good.clone();
            change(&mut p);
            let problems = validate(&[p]).unwrap_err();
            assert!(
                problems.iter().any(|m| m.contains(needle)),
                "{needle}: {problems:?}"
            );
        };
        fails(&|p| p.region = Region::Jeju, "outside");
        fails(&|p| p.lat = f64::NAN, "outside");
        fails(&|p| p.id = "gyeongbokgung".into(), "slug");
        fails(&|p| p.id = "seoul-Gyeong".into(), "slug");
        fails(
            &|p| p.description_ko = " ".into(),
            "description_ko is empty",
        );
        fails(&|p| p.name_en = "".into(), "name_en is empty");
        fails(&|p| p.seasons.clear(), "no seasons");
        fails(&|p| p.seasons = vec![p.seasons[0], p.seasons[0]], "twice");
        fails(
            &|p| {
                p.hours = OpeningHours {
                    open: 600,
                    close: 600,
                }
            },
            "same time",
        );
        fails(&|p| p.price_level = 4, "price level");
        fails(&|p| p.stay_minutes = 240, "stay");
    }

    #[test]
    fn finds_duplicates_and_places_on_top_of_each_other() {
        let places = catalogue().unwrap();
        let (a, b) = (places[0].clone(), places[1].clone());
        let mut twin = b.clone();
        twin.id = a.id.clone();
        assert!(validate(&[a.clone(), twin]).unwrap_err()[0].contains("repeats the id"));
        let mut twin = b.clone();
        twin.name_ko = a.name_ko.clone();
        assert!(validate(&[a.clone(), twin]).unwrap_err()[0].contains("name_ko"));
        let mut twin = b.clone();
        twin.name_en = a.name_en.clone();
        assert!(validate(&[a.clone(), twin]).unwrap_err()[0].contains("name_en"));
        let mut twin = b;
        (twin.lat, twin.lng) = (a.lat + 0.0002, a.lng);
        assert!(validate(&[a, twin]).unwrap_err()[0].contains("m apart"));
    }
}
