//! Planner tests against the bundled catalogue.

use std::collections::{HashMap, HashSet};

use moji_common::course::{Budget, Region, Season, TimeOfDay, Transport};

use super::*;
use crate::{catalogue, Category};

fn request(region: Region, season: Season, time: TimeOfDay, transport: Transport) -> CourseRequest {
    CourseRequest {
        region,
        season,
        time_of_day: time,
        transport,
        mood: None,
        budget: None,
        language: None,
    }
}

fn neutral(_: &Place) -> f32 {
    0.0
}

/// Everything a course must be, whatever was asked.
fn check_course(req: &CourseRequest, stops: &[PlannedStop]) {
    let what = format!("{req:?}");
    assert!(
        (MIN_STOPS..=MAX_STOPS).contains(&stops.len()),
        "{what}: {} stops",
        stops.len()
    );
    let window = window(req.time_of_day);
    assert_eq!(stops[0].arrival_minute, window.start, "{what}");
    assert_eq!(stops[0].travel_minutes, 0, "{what}");
    assert_eq!(stops[0].distance_km, 0.0, "{what}");
    let mut ids = HashSet::new();
    let mut per_category: HashMap<Category, usize> = HashMap::new();
    for (i, s) in stops.iter().enumerate() {
        let p = &s.place;
        assert!(ids.insert(p.id.clone()), "{what}: {} twice", p.id);
        *per_category.entry(p.category).or_default() += 1;
        assert_eq!(p.region, req.region, "{what}: {}", p.id);
        assert!(p.in_season(req.season), "{what}: {}", p.id);
        assert!(p.within_budget(req.budget), "{what}: {}", p.id);
        assert_eq!(s.stay_minutes, p.stay_minutes);
        assert!(
            s.arrival_minute < 24 * 60,
            "{what}: {} after midnight",
            p.id
        );
        assert!(
            p.open_at(s.arrival_minute),
            "{what}: {} closed on arrival",
            p.id
        );
        assert!(
            p.open_for(s.arrival_minute, s.stay_minutes),
            "{what}: {} closes",
            p.id
        );
        assert!(
            p.open_at(s.leave_minute() - 1),
            "{what}: {} closed before leaving",
            p.id
        );
        assert!(
            s.leave_minute() <= window.end,
            "{what}: runs past the window"
        );
        if i > 0 {
            let prev = &stops[i - 1];
            let km = distance_km(&prev.place, p);
            assert!((s.distance_km - km).abs() < 1e-9);
            assert_eq!(s.travel_minutes, travel_minutes(req.transport, km));
            assert_eq!(
                s.arrival_minute,
                prev.leave_minute() + s.travel_minutes,
                "{what}"
            );
            assert!(km <= max_leg_km(req.transport), "{what}: leg of {km:.1} km");
            if req.transport == Transport::Walk {
                assert!(km <= 3.0, "{what}: walked {km:.1} km");
            }
        }
    }
    assert!(
        per_category.values().all(|&n| n <= MAX_PER_CATEGORY),
        "{what}: {per_category:?}"
    );
    assert!(course_minutes(stops) <= COURSE_MINUTES_LIMIT);
}

const COURSE_MINUTES_LIMIT: u32 = crate::hours::COURSE_MINUTES;

#[test]
fn every_request_gets_a_course() {
    let places = catalogue().unwrap();
    let mut lengths = [0usize; MAX_STOPS + 1];
    for region in Region::ALL {
        for season in Season::ALL {
            for time in TimeOfDay::ALL {
                for transport in Transport::ALL {
                    let req = request(region, season, time, transport);
                    let stops =
                        plan(&req, places, neutral).unwrap_or_else(|e| panic!("{req:?}: {e}"));
                    check_course(&req, &stops);
                    lengths[stops.len()] += 1;
                }
            }
        }
    }
    // Most courses are full: three stops is the fallback, not the rule.
    assert!(
        lengths[MAX_STOPS] + lengths[4] > lengths[3] * 2,
        "lengths {lengths:?}"
    );
}

#[test]
fn every_window_has_enough_places_open_at_its_start() {
    let places = catalogue().unwrap();
    for region in Region::ALL {
        for time in TimeOfDay::ALL {
            let start = window(time).start;
            let open = places
                .iter()
                .filter(|p| p.region == region && p.open_for(start, p.stay_minutes))
                .count();
            assert!(open >= 8, "{region:?} {time:?}: {open} open");
        }
    }
}

#[test]
fn a_low_budget_only_visits_cheap_places() {
    let places = catalogue().unwrap();
    for region in Region::ALL {
        for season in Season::ALL {
            for time in TimeOfDay::ALL {
                for transport in Transport::ALL {
                    let mut req = request(region, season, time, transport);
                    req.budget = Some(Budget::Low);
                    let stops =
                        plan(&req, places, neutral).unwrap_or_else(|e| panic!("{req:?}: {e}"));
                    check_course(&req, &stops);
                    assert!(stops.iter().all(|s| s.place.price_level <= 1), "{req:?}");
                }
            }
        }
    }
}

#[test]
fn relevance_steers_the_choice() {
    let places = catalogue().unwrap();
    let museums = |p: &Place| {
        if p.category == Category::Museum {
            1.0
        } else {
            0.0
        }
    };
    for region in Region::ALL {
        for transport in [Transport::Transit, Transport::Car] {
            let req = request(region, Season::Autumn, TimeOfDay::Afternoon, transport);
            let stops = plan(&req, places, museums).unwrap();
            check_course(&req, &stops);
            assert_eq!(stops[0].place.category, Category::Museum, "{req:?}");
            let n = stops
                .iter()
                .filter(|s| s.place.category == Category::Museum)
                .count();
            // Jeju's first museum (O'sulloc, most popular) has no other museum in reach.
            if region != Region::Jeju {
                assert_eq!(n, MAX_PER_CATEGORY, "{req:?}: a second museum in reach");
            }
        }
    }
    // A night walk asked to be by the water starts by the sea, or the Han River in Seoul.
    let by_water = |p: &Place| {
        matches!(p.category, Category::Beach | Category::Coast) || p.name_en.contains("Hangang")
    };
    for region in Region::ALL {
        let req = request(region, Season::Summer, TimeOfDay::Night, Transport::Walk);
        let stops = plan(&req, places, |p| if by_water(p) { 1.0 } else { 0.0 }).unwrap();
        check_course(&req, &stops);
        assert!(by_water(&stops[0].place), "{req:?}: {}", stops[0].place.id);
    }
}

#[test]
fn equal_inputs_give_equal_courses() {
    let places = catalogue().unwrap();
    // A stand-in for embedding similarity that still has many ties.
    let score = |p: &Place| (p.description_en.len() % 7) as f32 / 10.0;
    for region in Region::ALL {
        for time in TimeOfDay::ALL {
            let req = request(region, Season::Spring, time, Transport::Transit);
            let a = plan(&req, places, score).unwrap();
            let b = plan(&req, places, score).unwrap();
            assert_eq!(a, b);
            assert_eq!(plan(&req, places, neutral), plan(&req, places, |_| 0.42));
        }
    }
}

#[test]
fn a_neutral_morning_starts_at_the_most_popular_open_place() {
    let places = catalogue().unwrap();
    let req = request(
        Region::Seoul,
        Season::Spring,
        TimeOfDay::Morning,
        Transport::Walk,
    );
    let stops = plan(&req, places, neutral).unwrap();
    assert_eq!(stops[0].place.id, "seoul-gyeongbokgung");
}

#[test]
fn walking_courses_stay_compact() {
    let places = catalogue().unwrap();
    for region in Region::ALL {
        for time in TimeOfDay::ALL {
            let req = request(region, Season::Winter, time, Transport::Walk);
            let stops = plan(&req, places, neutral).unwrap();
            let longest = stops.iter().map(|s| s.distance_km).fold(0.0, f64::max);
            assert!(longest <= 2.5, "{req:?}: {longest:.2} km");
        }
    }
}

#[test]
fn too_few_places_is_an_error() {
    let places = catalogue().unwrap();
    let req = request(
        Region::Jeju,
        Season::Spring,
        TimeOfDay::Afternoon,
        Transport::Car,
    );
    assert_eq!(plan(&req, &[], neutral), Err(PlanError::TooFewPlaces));
    let seoul: Vec<Place> = places
        .iter()
        .filter(|p| p.region == Region::Seoul)
        .cloned()
        .collect();
    assert_eq!(plan(&req, &seoul, neutral), Err(PlanError::TooFewPlaces));
    let two: Vec<Place> = places
        .iter()
        .filter(|p| p.region == Region::Jeju)
        .take(2)
        .cloned()
        .collect();
    assert_eq!(plan(&req, &two, neutral), Err(PlanError::TooFewPlaces));
}

#[test]
fn odd_relevance_scores_do_not_break_the_plan() {
    let places = catalogue().unwrap();
    let req = request(
        Region::Busan,
        Season::Summer,
        TimeOfDay::Evening,
        Transport::Car,
    );
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let stops = plan(&req, places, |_| bad).unwrap();
        check_course(&req, &stops);
        assert_eq!(
            plan(&req, places, |_| bad).unwrap(),
            plan(&req, places, neutral).unwrap()
        );
    }
}

#[test]
fn night_courses_may_stay_past_midnight_where_places_are_open() {
    // A made-up late street, an always-open park and a late market a few minutes apart.
    let base = catalogue().unwrap()[0].clone();
    let late = |hours: [(&str, &str); 3]| {
        let categories = [Category::Street, Category::Park, Category::Market];
        (0..3)
            .map(|i| {
                let mut p = base.clone();
                p.id = format!("seoul-late-{i}");
                p.category = categories[i];
                p.hours = crate::OpeningHours::parse(hours[i].0, hours[i].1).unwrap();
                p.lat += 0.002 * i as f64;
                p.stay_minutes = 90;
                p
            })
            .collect::<Vec<_>>()
    };
    let req = request(
        Region::Seoul,
        Season::Winter,
        TimeOfDay::Night,
        Transport::Walk,
    );
    let open_late = [("18:00", "03:00"), ("00:00", "24:00"), ("17:00", "02:00")];
    let stops = plan(&req, &late(open_late), neutral).unwrap();
    check_course(&req, &stops);
    assert_eq!(stops.len(), 3);
    assert!(stops[2].arrival_minute < 24 * 60);
    assert!(
        stops[2].leave_minute() > 24 * 60,
        "the last stop ends after midnight"
    );
    // When everything closes at midnight, three 90-minute stops from 20:00 do not fit.
    let midnight = [("18:00", "24:00"), ("10:00", "24:00"), ("17:00", "00:00")];
    assert_eq!(
        plan(&req, &late(midnight), neutral),
        Err(PlanError::TooFewPlaces)
    );
}
