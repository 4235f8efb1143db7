//! Where places are: region bounds, great-circle distances and travel-time estimates.

use moji_common::course::{Region, Transport};

use crate::Place;

/// Mean Earth radius, km.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A latitude/longitude box (WGS 84 degrees, inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Western edge.
    pub min_lng: f64,
    /// Eastern edge.
    pub max_lng: f64,
}

impl Bounds {
    /// The point lies inside (edges included).
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lng..=self.max_lng).contains(&lng)
    }
}

/// The box around a region's administrative extent: Seoul 37.41–37.72 N, 126.76–127.19 E;
/// Busan including Gijang and Gadeokdo 34.87–35.40 N, 128.75–129.32 E; Jeju island with Udo and
/// Marado 33.10–33.60 N, 126.14–126.99 E.
pub fn region_bounds(region: Region) -> Bounds {
    let (min_lat, max_lat, min_lng, max_lng) = match region {
        Region::Seoul => (37.41, 37.72, 126.76, 127.19),
        Region::Busan => (34.87, 35.40, 128.75, 129.32),
        Region::Jeju => (33.10, 33.60, 126.14, 126.99),
    };
    Bounds {
        min_lat,
        max_lat,
        min_lng,
        max_lng,
    }
}

/// Great-circle (haversine) distance between two `(lat, lng)` points, km.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let d_lat = lat2 - lat1;
    let d_lng = (b.1 - a.1).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Straight-line distance between two places, km.
pub fn distance_km(a: &Place, b: &Place) -> f64 {
    haversine_km((a.lat, a.lng), (b.lat, b.lng))
}

/// How one transport is estimated: fixed overhead plus the straight line stretched by a detour
/// factor at an average speed.
struct Model {
    overhead_minutes: f64,
    detour: f64,
    speed_kmh: f64,
}

fn model(transport: Transport) -> Model {
    match transport {
        // Streets are not straight lines.
        Transport::Walk => Model {
            overhead_minutes: 0.0,
            detour: 1.3,
            speed_kmh: 4.5,
        },
        // Walking to the station and waiting.
        Transport::Transit => Model {
            overhead_minutes: 8.0,
            detour: 1.4,
            speed_kmh: 22.0,
        },
        // Parking.
        Transport::Car => Model {
            overhead_minutes: 6.0,
            detour: 1.35,
            speed_kmh: 28.0,
        },
    }
}

/// Estimated door-to-door minutes for `km` of straight line: walk 1.3 × km at 4.5 km/h;
/// transit 8 min + 1.4 × km at 22 km/h; car 6 min + 1.35 × km at 28 km/h. Rounded up, at
/// least 1 between distinct places, 0 for no distance.
pub fn travel_minutes(transport: Transport, km: f64) -> u32 {
    if km.is_nan() || km <= 0.0 {
        return 0;
    }
    let m = model(transport);
    let minutes = m.overhead_minutes + km * m.detour / m.speed_kmh * 60.0;
    // The tiny slack keeps exact whole minutes from rounding up through float noise.
    let rounded = (minutes - 1e-9).ceil();
    if rounded >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        (rounded as u32).max(1)
    }
}

/// Longest straight-line leg a course takes with a transport: walk 2.5 km, transit 15 km,
/// car 40 km.
pub fn max_leg_km(transport: Transport) -> f64 {
    match transport {
        Transport::Walk => 2.5,
        Transport::Transit => 15.0,
        Transport::Car => 40.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        // Seoul City Hall to Busan City Hall: about 325 km.
        let d = haversine_km((37.5663, 126.9779), (35.1798, 129.0750));
        assert!((d - 325.0).abs() < 5.0, "{d}");
        // One degree of latitude: about 111.2 km.
        let d = haversine_km((33.0, 126.5), (34.0, 126.5));
        assert!((d - 111.2).abs() < 0.2, "{d}");
        assert_eq!(haversine_km((37.5, 127.0), (37.5, 127.0)), 0.0);
    }

    #[test]
    fn travel_estimates_follow_the_models() {
        assert_eq!(travel_minutes(Transport::Walk, 0.0), 0);
        assert_eq!(travel_minutes(Transport::Walk, 0.001), 1);
        // 1 km walked: 1.3 km at 4.5 km/h = 17.33 min.
        assert_eq!(travel_minutes(Transport::Walk, 1.0), 18);
        // 10 km by transit: 8 + 14 km at 22 km/h = 8 + 38.18.
        assert_eq!(travel_minutes(Transport::Transit, 10.0), 47);
        // 28 km by car: 6 + 37.8 km at 28 km/h = 6 + 81.
        assert_eq!(travel_minutes(Transport::Car, 28.0), 87);
        assert_eq!(travel_minutes(Transport::Car, f64::NAN), 0);
    }

    #[test]
    fn travel_minutes_grow_with_distance() {
        for t in Transport::ALL {
            let mut last = 0;
            for i in 0..=2000 {
                let m = travel_minutes(t, f64::from(i) * 0.05);
                assert!(m >= last, "{t:?} at {} km", f64::from(i) * 0.05);
                last = m;
            }
        }
        // Past a few hundred metres walking is the slowest and the car the fastest.
        for km in [3.0, 10.0, 30.0] {
            assert!(travel_minutes(Transport::Walk, km) > travel_minutes(Transport::Transit, km));
            assert!(travel_minutes(Transport::Transit, km) > travel_minutes(Transport::Car, km));
        }
    }

    #[test]
    fn regions_do_not_overlap() {
        let [s, b, j] = [Region::Seoul, Region::Busan, Region::Jeju].map(region_bounds);
        assert!(s.min_lat > b.max_lat && b.min_lat > j.max_lat);
        assert!(s.contains(37.5796, 126.977), "Gyeongbokgung");
        assert!(b.contains(35.1588, 129.1635), "Haeundae");
        assert!(j.contains(33.4581, 126.9425), "Seongsan Ilchulbong");
        assert!(!j.contains(33.96, 126.30), "Chujado is not on the island");
    }
}
