//! The course planner: 3–5 places of the asked region, season and budget, each open when the
//! couple arrives and until they leave, in visiting order within the time-of-day window.
//!
//! It starts at the most relevant place open at the window's start, then repeatedly walks (or
//! rides) to the best next place, scoring relevance against travel time, with at most two
//! places of a category. A choice that leads into a dead end before three stops is undone in
//! favour of the next best; when a start cannot make three stops at all, the next most relevant
//! start is tried. Equal inputs give equal courses: ties fall to catalogue order, most popular
//! first.

use moji_common::course::CourseRequest;

use crate::hours::LAST_ARRIVAL;
use crate::{
    distance_km, format_hhmm, max_leg_km, travel_minutes, window, Place, PlanError, TimeWindow,
};

/// Fewest stops in a course.
pub const MIN_STOPS: usize = 3;
/// Most stops in a course.
pub const MAX_STOPS: usize = 5;
/// Most stops of one category in a course.
pub const MAX_PER_CATEGORY: usize = 2;

/// Weight of catalogue order (most popular first) added to relevance: enough to rank places a
/// neutral relevance cannot tell apart, small next to a real difference in meaning.
const POPULARITY_WEIGHT: f32 = 0.05;
/// Score lost per minute of travel to the next stop.
const TRAVEL_PENALTY_PER_MINUTE: f32 = 0.01;
/// Score lost by a second stop of a category already in the course.
const REPEAT_PENALTY: f32 = 0.1;

/// One stop of a planned course.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStop {
    /// The place.
    pub place: Place,
    /// Arrival, minutes after the course day's midnight (always before midnight).
    pub arrival_minute: u32,
    /// Minutes spent there (the place's typical visit).
    pub stay_minutes: u32,
    /// Minutes from the previous stop (0 for the first).
    pub travel_minutes: u32,
    /// Straight-line kilometres from the previous stop (0 for the first).
    pub distance_km: f64,
}

impl PlannedStop {
    /// Leaving time, minutes after the course day's midnight (may pass 1440 at night).
    pub fn leave_minute(&self) -> u32 {
        self.arrival_minute + self.stay_minutes
    }

    /// Arrival as `HH:MM`.
    pub fn arrival(&self) -> String {
        format_hhmm(self.arrival_minute)
    }
}

/// Minutes from the first arrival to leaving the last stop (0 for no stops).
pub fn course_minutes(stops: &[PlannedStop]) -> u32 {
    match (stops.first(), stops.last()) {
        (Some(first), Some(last)) => last.leave_minute().saturating_sub(first.arrival_minute),
        _ => 0,
    }
}

/// A place the request allows, with its score before travel.
struct Candidate<'a> {
    place: &'a Place,
    score: f32,
}

/// A stop while planning: candidate index, arrival, travel minutes, km.
#[derive(Clone, Copy)]
struct Leg {
    index: usize,
    arrival: u32,
    travel: u32,
    km: f64,
}

/// Plans a course for `request` from `places` (in catalogue order, most popular first).
/// `relevance` scores a place against the request's mood (e.g. cosine similarity of
/// embeddings); pass a constant when there is no mood. Non-finite scores count as 0.
pub fn plan(
    request: &CourseRequest,
    places: &[Place],
    relevance: impl Fn(&Place) -> f32,
) -> Result<Vec<PlannedStop>, PlanError> {
    let allowed: Vec<&Place> = places
        .iter()
        .filter(|p| {
            p.region == request.region
                && p.in_season(request.season)
                && p.within_budget(request.budget)
        })
        .collect();
    let n = allowed.len().max(1) as f32;
    let candidates: Vec<Candidate<'_>> = allowed
        .into_iter()
        .enumerate()
        .map(|(rank, place)| {
            let r = relevance(place);
            let r = if r.is_finite() { r } else { 0.0 };
            Candidate {
                place,
                score: r + POPULARITY_WEIGHT * (1.0 - rank as f32 / n),
            }
        })
        .collect();

    let window = window(request.time_of_day);
    let mut starts: Vec<usize> = (0..candidates.len())
        .filter(|&i| fits(candidates[i].place, window.start, window))
        .collect();
    starts.sort_by(|&a, &b| {
        candidates[b]
            .score
            .total_cmp(&candidates[a].score)
            .then(a.cmp(&b))
    });

    for start in starts {
        let legs = extend(&candidates, start, window, request);
        if legs.len() >= MIN_STOPS {
            return Ok(legs
                .into_iter()
                .map(|leg| {
                    let place = candidates[leg.index].place;
                    PlannedStop {
                        place: place.clone(),
                        arrival_minute: leg.arrival,
                        stay_minutes: place.stay_minutes,
                        travel_minutes: leg.travel,
                        distance_km: leg.km,
                    }
                })
                .collect());
        }
    }
    Err(PlanError::TooFewPlaces)
}

/// The place can be arrived at `arrival` (before midnight) and left within the window.
fn fits(place: &Place, arrival: u32, window: TimeWindow) -> bool {
    arrival < LAST_ARRIVAL
        && arrival + place.stay_minutes <= window.end
        && place.open_for(arrival, place.stay_minutes)
}

/// Grows a course from `start`: greedily, best next stop first, backtracking (over the
/// [`BRANCHING`] best next stops) only out of dead ends that leave fewer than [`MIN_STOPS`].
fn extend(
    candidates: &[Candidate<'_>],
    start: usize,
    window: TimeWindow,
    request: &CourseRequest,
) -> Vec<Leg> {
    let mut legs = vec![Leg {
        index: start,
        arrival: window.start,
        travel: 0,
        km: 0.0,
    }];
    grow(candidates, &mut legs, window, request);
    legs
}

/// How many next stops are tried, best first, before giving up on a course prefix.
const BRANCHING: usize = 4;

/// Extends `legs` in place; true when it ends with enough stops (then `legs` is the course).
fn grow(
    candidates: &[Candidate<'_>],
    legs: &mut Vec<Leg>,
    window: TimeWindow,
    request: &CourseRequest,
) -> bool {
    if legs.len() >= MAX_STOPS {
        return true;
    }
    for leg in next_stops(candidates, legs, window, request) {
        legs.push(leg);
        if grow(candidates, legs, window, request) {
            return true;
        }
        legs.pop();
    }
    legs.len() >= MIN_STOPS
}

/// The [`BRANCHING`] best stops after `legs`, best first; on equal scores the earlier
/// (more popular) place first.
fn next_stops(
    candidates: &[Candidate<'_>],
    legs: &[Leg],
    window: TimeWindow,
    request: &CourseRequest,
) -> Vec<Leg> {
    let Some(last) = legs.last() else {
        return Vec::new();
    };
    let here = candidates[last.index].place;
    let leave = last.arrival + here.stay_minutes;
    let max_km = max_leg_km(request.transport);
    let mut options: Vec<(f32, Leg)> = Vec::new();
    for (index, c) in candidates.iter().enumerate() {
        let visited = |l: &Leg| l.index == index || candidates[l.index].place.id == c.place.id;
        if legs.iter().any(visited) {
            continue;
        }
        let same = legs
            .iter()
            .filter(|l| candidates[l.index].place.category == c.place.category)
            .count();
        if same >= MAX_PER_CATEGORY {
            continue;
        }
        let km = distance_km(here, c.place);
        if km > max_km {
            continue;
        }
        let travel = travel_minutes(request.transport, km);
        let arrival = leave + travel;
        if !fits(c.place, arrival, window) {
            continue;
        }
        let repeat = if same > 0 { REPEAT_PENALTY } else { 0.0 };
        let score = c.score - TRAVEL_PENALTY_PER_MINUTE * travel as f32 - repeat;
        options.push((
            score,
            Leg {
                index,
                arrival,
                travel,
                km,
            },
        ));
    }
    options.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.index.cmp(&b.1.index)));
    options
        .into_iter()
        .take(BRANCHING)
        .map(|(_, leg)| leg)
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
