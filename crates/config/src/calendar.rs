//! The product day: most of Moji's people are Korean, so "today" (a fortune, a streak day, a
//! daily quota, a ranking window) turns over at midnight in a configured zone, not in UTC.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Days in a configured IANA time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductCalendar {
    zone: Tz,
}

impl Default for ProductCalendar {
    fn default() -> Self {
        Self {
            zone: chrono_tz::Asia::Seoul,
        }
    }
}

impl ProductCalendar {
    /// The calendar of an IANA zone name such as `Asia/Seoul`.
    pub fn new(zone: &str) -> Result<Self, String> {
        zone.parse::<Tz>()
            .map(|zone| Self { zone })
            .map_err(|_| format!("{zone:?} is not an IANA time zone name (e.g. Asia/Seoul)"))
    }

    /// The zone's name.
    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    /// The product day an instant falls on.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// Today's product day.
    pub fn today(&self) -> NaiveDate {
        self.day_of(Utc::now())
    }

    /// The instant a product day starts (its first valid local time, should midnight be
    /// skipped by a daylight-saving change).
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let mut local = day.and_time(chrono::NaiveTime::MIN);
        for _ in 0..4 {
            if let Some(at) = self.zone.from_local_datetime(&local).earliest() {
                return at.with_timezone(&Utc);
            }
            local += chrono::Duration::minutes(30);
        }
        // No zone skips two hours; fall back to the UTC reading rather than fail.
        day.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The first day of a window of `days` product days ending today (`days` ≥ 1).
    pub fn window_start(&self, days: u64) -> NaiveDate {
        let today = self.today();
        today
            .checked_sub_days(Days::new(days.saturating_sub(1)))
            .unwrap_or(today)
    }
}

impl crate::Settings {
    /// The product calendar (`product.time_zone`, checked by `validate`).
    pub fn calendar(&self) -> ProductCalendar {
        ProductCalendar::new(&self.product.time_zone).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seoul_days_turn_at_15_utc() {
        let cal = ProductCalendar::default();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(cal.day_of(at("2026-12-03T14:59:59Z")), d("2026-12-03"));
        assert_eq!(cal.day_of(at("2026-12-03T15:00:00Z")), d("2026-12-04"));
        assert_eq!(cal.start_of(d("2026-12-04")), at("2026-12-03T15:00:00Z"));
        assert_eq!(cal.zone_name(), "Asia/Seoul");
    }

    #[test]
    fn zones_are_checked_and_gaps_skipped() {
        assert!(ProductCalendar::new("Mars/Olympus").is_err());
        let utc = ProductCalendar::new("UTC").unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert_eq!(
            utc.start_of(d),
            d.and_time(chrono::NaiveTime::MIN).and_utc()
        );
        // Midnight does not exist in Santiago on 2026-09-06 (clocks jump to 01:00).
        let santiago = ProductCalendar::new("America/Santiago").unwrap();
        let gap = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(santiago.day_of(santiago.start_of(gap)), gap);
    }
}
