//! The place types and the bundled catalogue (`data/places.json`).

use std::sync::OnceLock;

use moji_common::course::{Budget, Region, Season};
use serde::{Deserialize, Serialize};

use crate::{OpeningHours, PlacesError};

/// The bundled catalogue, most popular first within each region.
const PLACES_JSON: &str = include_str!("../data/places.json");

macro_rules! categories {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)+) => {
        /// What kind of place it is: a closed set, `snake_case` on the wire and in the database.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Category {
            $($(#[$doc])* $variant,)+
        }

        impl Category {
            /// Every category, in declaration order.
            pub const ALL: &'static [Category] = &[$(Category::$variant),+];

            /// The name in JSON and the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Category::$variant => $name,)+
                }
            }
        }

        impl std::str::FromStr for Category {
            type Err = PlacesError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Category::$variant),)+
                    other => Err(PlacesError::UnknownCategory(other.chars().take(64).collect())),
                }
            }
        }
    };
}

categories! {
    /// A royal palace or residence.
    Palace = "palace",
    /// A city park or riverside park.
    Park = "park",
    /// A traditional or food market.
    Market = "market",
    /// A museum.
    Museum = "museum",
    /// An art museum, gallery or culture space.
    Gallery = "gallery",
    /// A beach.
    Beach = "beach",
    /// A walking or hiking trail, a stream walk.
    Trail = "trail",
    /// A shopping or nightlife street.
    Street = "street",
    /// An observatory or lookout.
    Viewpoint = "viewpoint",
    /// A Buddhist temple.
    Temple = "temple",
    /// A landmark building, shrine, bridge or square.
    Landmark = "landmark",
    /// A garden, arboretum or botanical park.
    Garden = "garden",
    /// An island visited as a whole.
    Island = "island",
    /// A street of cafes.
    CafeStreet = "cafe_street",
    /// A spot visited for its night view.
    NightView = "night_view",
    /// An amusement park.
    ThemePark = "theme_park",
    /// An aquarium.
    Aquarium = "aquarium",
    /// A traditional or culture village.
    Village = "village",
    /// A department store or mall.
    Shopping = "shopping",
    /// A waterfall.
    Waterfall = "waterfall",
    /// A volcanic cone (Jeju's oreum) or crater.
    Oreum = "oreum",
    /// A cave or lava tube.
    Cave = "cave",
    /// A coastal landform: cliffs, rocks, headlands, estuaries.
    Coast = "coast",
    /// A forest.
    Forest = "forest",
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A public place a course can visit. Fields are public so a database row maps onto it
/// (`Region`, `Season` and [`Category`] parse from their names, hours via
/// [`OpeningHours::parse`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Unique slug starting with the region, e.g. `seoul-gyeongbokgung`.
    pub id: String,
    /// Region it is in.
    pub region: Region,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lng: f64,
    /// Kind of place.
    pub category: Category,
    /// Mostly indoors.
    pub indoor: bool,
    /// Seasons it is good in (never empty).
    pub seasons: Vec<Season>,
    /// Daily opening hours.
    pub hours: OpeningHours,
    /// 0 free, 1 cheap, 2 moderate, 3 expensive.
    pub price_level: u8,
    /// Typical visit, minutes (30–180).
    pub stay_minutes: u32,
    /// One or two sentences in English.
    pub description_en: String,
    /// One or two sentences in Korean.
    pub description_ko: String,
}

impl Place {
    /// Open at `minute` after the course day's midnight.
    pub fn open_at(&self, minute: u32) -> bool {
        self.hours.open_at(minute)
    }

    /// Open on arrival and until leaving `stay_minutes` later.
    pub fn open_for(&self, arrival_minute: u32, stay_minutes: u32) -> bool {
        self.hours.open_for(arrival_minute, stay_minutes)
    }

    /// Good in `season`.
    pub fn in_season(&self, season: Season) -> bool {
        self.seasons.contains(&season)
    }

    /// Within a budget (none means any price).
    pub fn within_budget(&self, budget: Option<Budget>) -> bool {
        self.price_level <= budget_cap(budget)
    }

    /// Description in the language of a course (`true` for Korean).
    pub fn description(&self, korean: bool) -> &str {
        if korean {
            &self.description_ko
        } else {
            &self.description_en
        }
    }

    /// Name in the language of a course (`true` for Korean).
    pub fn name(&self, korean: bool) -> &str {
        if korean {
            &self.name_ko
        } else {
            &self.name_en
        }
    }
}

/// Highest price level a budget allows: low ≤ 1, medium ≤ 2, high or none any.
pub fn budget_cap(budget: Option<Budget>) -> u8 {
    match budget {
        Some(Budget::Low) => 1,
        Some(Budget::Medium) => 2,
        Some(Budget::High) | None => u8::MAX,
    }
}

/// Parses a catalogue in the shape of `data/places.json`.
pub fn parse_catalogue(json: &str) -> Result<Vec<Place>, PlacesError> {
    serde_json::from_str(json).map_err(|e| PlacesError::Catalogue(e.to_string()))
}

/// The bundled catalogue, parsed once: Seoul, Busan, then Jeju, each most popular first.
pub fn catalogue() -> Result<&'static [Place], PlacesError> {
    static PLACES: OnceLock<Result<Vec<Place>, PlacesError>> = OnceLock::new();
    match PLACES.get_or_init(|| parse_catalogue(PLACES_JSON)) {
        Ok(places) => Ok(places),
        Err(e) => Err(e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_bundled_catalogue_parses() {
        let places = catalogue().unwrap();
        assert!(places.len() >= 150, "{} places", places.len());
        let mut per_region = BTreeMap::new();
        for p in places {
            *per_region.entry(p.region).or_insert(0) += 1;
        }
        assert!(per_region[&Region::Seoul] >= 60, "{per_region:?}");
        assert!(per_region[&Region::Busan] >= 45, "{per_region:?}");
        assert!(per_region[&Region::Jeju] >= 45, "{per_region:?}");
    }

    #[test]
    fn categories_round_trip_through_their_names() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{c}\""));
        }
        assert!("castle".parse::<Category>().is_err());
    }

    #[test]
    fn unknown_fields_and_values_are_refused() {
        let one = |extra: &str| {
            format!(
                r#"[{{"id":"seoul-x","region":"seoul","name_ko":"엑스","name_en":"X","lat":37.5,
                "lng":127.0,"category":"park","indoor":false,"seasons":["spring"],
                "hours":{{"open":"09:00","close":"18:00"}},"price_level":0,"stay_minutes":30,
                "description_en":"x","description_ko":"x"{extra}}}]"#
            )
        };
        assert_eq!(parse_catalogue(&one("")).unwrap().len(), 1);
        assert!(parse_catalogue(&one(r#","rating":5"#)).is_err());
        assert!(parse_catalogue(&one("").replace("\"park\"", "\"castle\"")).is_err());
        assert!(parse_catalogue(&one("").replace("18:00", "18:61")).is_err());
    }

    #[test]
    fn budgets_cap_the_price_level() {
        assert_eq!(budget_cap(Some(Budget::Low)), 1);
        assert_eq!(budget_cap(Some(Budget::Medium)), 2);
        assert_eq!(budget_cap(Some(Budget::High)), u8::MAX);
        assert_eq!(budget_cap(None), u8::MAX);
    }
}
