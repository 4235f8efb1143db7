//! Clock times, opening hours and the time-of-day windows a course runs in.
//!
//! Times are minutes after the midnight that starts the course's day. Opening hours are a daily
//! `open`–`close` pair; a `close` at or before `open` means the place closes after midnight
//! (a night market open 18:00–02:00), and `00:00`–`24:00` means always open.

use moji_common::course::TimeOfDay;
use serde::{Deserialize, Serialize};

use crate::PlacesError;

/// Minutes in a day.
pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// Longest course, from the window's start to leaving the last stop.
pub const COURSE_MINUTES: u32 = 6 * 60;

/// No stop is arrived at from midnight on (a night course may still stay past it where the
/// place is open).
pub const LAST_ARRIVAL: u32 = MINUTES_PER_DAY;

/// Parses `HH:MM` (00:00 to 24:00) into minutes after midnight.
pub fn parse_hhmm(text: &str) -> Result<u32, PlacesError> {
    let bad = || PlacesError::BadTime(text.chars().take(16).collect());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Formats minutes after midnight as `HH:MM` on a 24-hour clock, wrapping past midnight
/// (`1500` is `01:00`).
pub fn format_hhmm(minute: u32) -> String {
    clock(minute % MINUTES_PER_DAY)
}

/// `HH:MM` without wrapping, so that 1440 is `24:00`.
fn clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A place's daily opening hours, in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "HoursText", into = "HoursText")]
pub struct OpeningHours {
    /// Opening minute, 0..1440.
    pub open: u32,
    /// Closing minute, 0..=1440; at or before `open` it is on the next day.
    pub close: u32,
}

/// The JSON and database shape: `{"open": "HH:MM", "close": "HH:MM"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursText {
    open: String,
    close: String,
}

impl TryFrom<HoursText> for OpeningHours {
    type Error = PlacesError;

    fn try_from(t: HoursText) -> Result<Self, Self::Error> {
        OpeningHours::parse(&t.open, &t.close)
    }
}

impl From<OpeningHours> for HoursText {
    fn from(h: OpeningHours) -> Self {
        HoursText {
            open: h.open_text(),
            close: h.close_text(),
        }
    }
}

impl OpeningHours {
    /// Open around the clock.
    pub const ALWAYS: OpeningHours = OpeningHours {
        open: 0,
        close: MINUTES_PER_DAY,
    };

    /// Parses stored `HH:MM` texts (`open_time`, `close_time`). `open` may not be 24:00, and the
    /// two may not be equal (write `00:00`–`24:00` for always open).
    pub fn parse(open: &str, close: &str) -> Result<Self, PlacesError> {
        let hours = OpeningHours {
            open: parse_hhmm(open)?,
            close: parse_hhmm(close)?,
        };
        hours.check()?;
        Ok(hours)
    }

    /// Checks the invariants [`Self::parse`] guarantees (for hours built field by field).
    pub fn check(&self) -> Result<(), PlacesError> {
        if self.open >= MINUTES_PER_DAY {
            return Err(PlacesError::BadTime(clock(self.open)));
        }
        if self.close > MINUTES_PER_DAY {
            return Err(PlacesError::BadTime(clock(self.close)));
        }
        if self.open == self.close {
            return Err(PlacesError::EmptyHours(self.to_string()));
        }
        Ok(())
    }

    /// Opening time as `HH:MM`.
    pub fn open_text(&self) -> String {
        clock(self.open)
    }

    /// Closing time as `HH:MM` (`24:00` for midnight at the end of the day).
    pub fn close_text(&self) -> String {
        clock(self.close)
    }

    /// Open around the clock.
    pub fn is_always_open(&self) -> bool {
        self.open == 0 && self.close == MINUTES_PER_DAY
    }

    /// Closes after midnight (the close is on the next day).
    pub fn is_overnight(&self) -> bool {
        self.close <= self.open
    }

    /// Open at `minute` (after the course day's midnight; values past 1440 are the next day).
    pub fn open_at(&self, minute: u32) -> bool {
        self.open_for(minute, 1)
    }

    /// Open on arrival and still open when leaving `stay` minutes later (a stay of 0 counts
    /// as 1). Handles closes past midnight, and arrivals after midnight at such places.
    pub fn open_for(&self, arrival: u32, stay: u32) -> bool {
        if self.is_always_open() {
            return true;
        }
        let at = arrival % MINUTES_PER_DAY;
        let leave = at + stay.max(1);
        if !self.is_overnight() {
            self.open <= at && leave <= self.close
        } else if at >= self.open {
            // Evening part: open until `close` on the next day.
            leave <= MINUTES_PER_DAY + self.close
        } else {
            // The after-midnight tail of the previous evening's opening.
            leave <= self.close
        }
    }
}

impl std::fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}–{}", self.open_text(), self.close_text())
    }
}

/// The span a course runs in: arrive at the first stop at `start`, leave the last by `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    /// First arrival, minutes after midnight.
    pub start: u32,
    /// Latest leaving time, minutes after the same midnight (past 1440 for night).
    pub end: u32,
}

/// The window of a part of the day: morning from 09:00, afternoon from 13:00, evening from
/// 17:00, night from 20:00, each [`COURSE_MINUTES`] long. A night course arrives at its last
/// stop before midnight ([`LAST_ARRIVAL`]) and stays past it only where the place is open.
pub fn window(time_of_day: TimeOfDay) -> TimeWindow {
    let start = match time_of_day {
        TimeOfDay::Morning => 9 * 60,
        TimeOfDay::Afternoon => 13 * 60,
        TimeOfDay::Evening => 17 * 60,
        TimeOfDay::Night => 20 * 60,
    };
    TimeWindow {
        start,
        end: start + COURSE_MINUTES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(open: &str, close: &str) -> OpeningHours {
        OpeningHours::parse(open, close).unwrap()
    }

    #[test]
    fn parses_and_formats_clock_times() {
        assert_eq!(parse_hhmm("00:00"), Ok(0));
        assert_eq!(parse_hhmm("09:30"), Ok(570));
        assert_eq!(parse_hhmm("24:00"), Ok(1440));
        for bad in [
            "24:01", "9:30", "09:60", "0930", "ab:cd", "", "09:3", "+9:30", "25:00",
        ] {
            assert!(parse_hhmm(bad).is_err(), "{bad}");
        }
        assert_eq!(format_hhmm(570), "09:30");
        assert_eq!(format_hhmm(1500), "01:00");
        assert_eq!(hours("00:00", "24:00").close_text(), "24:00");
    }

    #[test]
    fn rejects_empty_and_out_of_range_hours() {
        assert!(OpeningHours::parse("10:00", "10:00").is_err());
        assert!(OpeningHours::parse("24:00", "10:00").is_err());
        assert!(OpeningHours {
            open: 0,
            close: 1441
        }
        .check()
        .is_err());
    }

    #[test]
    fn daytime_hours() {
        let h = hours("09:00", "18:00");
        assert!(!h.open_at(8 * 60 + 59));
        assert!(h.open_at(9 * 60));
        assert!(h.open_at(17 * 60 + 59));
        assert!(!h.open_at(18 * 60));
        assert!(h.open_for(16 * 60, 120));
        assert!(!h.open_for(16 * 60, 121));
        assert!(!h.open_for(8 * 60, 120));
    }

    #[test]
    fn past_midnight_hours() {
        let h = hours("18:00", "02:00");
        assert!(h.is_overnight());
        assert!(!h.open_at(17 * 60));
        assert!(h.open_at(23 * 60));
        assert!(h.open_at(MINUTES_PER_DAY + 60), "01:00 the next day");
        assert!(h.open_at(60), "01:00 is the tail of the previous evening");
        assert!(!h.open_at(2 * 60));
        assert!(!h.open_at(12 * 60));
        assert!(h.open_for(23 * 60, 180), "23:00 to 02:00");
        assert!(!h.open_for(23 * 60, 181));
        assert!(h.open_for(MINUTES_PER_DAY + 30, 90));
        assert!(!h.open_for(MINUTES_PER_DAY + 30, 91));
    }

    #[test]
    fn closing_at_midnight_and_always_open() {
        let midnight = hours("10:00", "24:00");
        assert!(midnight.open_for(23 * 60, 60));
        assert!(!midnight.open_for(23 * 60, 61));
        let zero = hours("18:00", "00:00");
        assert!(zero.open_for(23 * 60, 60));
        assert!(!zero.open_for(23 * 60, 61));
        assert!(OpeningHours::ALWAYS.open_for(23 * 60 + 30, 120));
        assert!(OpeningHours::ALWAYS.open_at(0));
    }

    #[test]
    fn windows_start_at_the_documented_times() {
        assert_eq!(
            window(TimeOfDay::Morning),
            TimeWindow {
                start: 540,
                end: 900
            }
        );
        assert_eq!(window(TimeOfDay::Afternoon).start, 780);
        assert_eq!(window(TimeOfDay::Evening).start, 1020);
        assert_eq!(
            window(TimeOfDay::Night),
            TimeWindow {
                start: 1200,
                end: 1560
            }
        );
    }

    #[test]
    fn serde_round_trip() {
        let h: OpeningHours = serde_json::from_str(r#"{"open":"11:00","close":"02:00"}"#).unwrap();
        assert_eq!(
            h,
            OpeningHours {
                open: 660,
                close: 120
            }
        );
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"open":"11:00","close":"02:00"}"#
        );
        assert!(
            serde_json::from_str::<OpeningHours>(r#"{"open":"11:00","close":"11:00"}"#).is_err()
        );
    }
}
