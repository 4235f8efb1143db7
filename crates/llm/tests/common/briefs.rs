//! Sample briefs: real places in the shape the planner hands over.

use moji_common::course::{Budget, CourseLanguage, Region, Season, TimeOfDay, Transport};
use moji_llm::{CourseBrief, StopBrief};

fn stop(
    name: &str,
    category: &str,
    indoor: bool,
    arrival: &str,
    stay: u32,
    travel: u32,
    description: &str,
) -> StopBrief {
    StopBrief {
        name: name.to_owned(),
        category: category.to_owned(),
        indoor,
        arrival: arrival.to_owned(),
        stay_minutes: stay,
        travel_minutes: travel,
        description: description.to_owned(),
    }
}

/// Seoul, spring afternoon on foot, four stops, in Korean.
pub fn seoul_ko() -> CourseBrief {
    CourseBrief {
        language: CourseLanguage::Ko,
        region: Region::Seoul,
        season: Season::Spring,
        time_of_day: TimeOfDay::Afternoon,
        transport: Transport::Walk,
        mood: Some(String::from("조용하고 고즈넉한 산책")),
        budget: Some(Budget::Low),
        stops: vec![
            stop(
                "경복궁",
                "palace",
                false,
                "13:00",
                90,
                0,
                "조선의 법궁으로 근정전과 경회루가 있다.",
            ),
            stop(
                "국립현대미술관 서울",
                "museum",
                true,
                "14:38",
                60,
                8,
                "경복궁 옆의 현대미술관.",
            ),
            stop(
                "삼청동길",
                "street",
                false,
                "15:50",
                45,
                12,
                "갤러리와 카페가 늘어선 골목길.",
            ),
            stop(
                "북촌 한옥마을",
                "hanok_village",
                false,
                "16:45",
                50,
                10,
                "전통 한옥이 모인 언덕 마을.",
            ),
        ],
    }
}

/// Busan, summer evening by transit, four stops, in English.
pub fn busan_en() -> CourseBrief {
    CourseBrief {
        language: CourseLanguage::En,
        region: Region::Busan,
        season: Season::Summer,
        time_of_day: TimeOfDay::Evening,
        transport: Transport::Transit,
        mood: Some(String::from("sea breeze and city lights")),
        budget: None,
        stops: vec![
            stop(
                "Haeundae Beach",
                "beach",
                false,
                "17:00",
                60,
                0,
                "Busan's best-known beach, a long sweep of sand.",
            ),
            stop(
                "Dongbaekseom Island",
                "park",
                false,
                "18:10",
                45,
                10,
                "A wooded islet with a coastal walk and the APEC House.",
            ),
            stop(
                "The Bay 101",
                "bar",
                true,
                "19:05",
                60,
                10,
                "A marina terrace facing the Marine City towers.",
            ),
            stop(
                "Gwangalli Beach",
                "beach",
                false,
                "20:35",
                60,
                30,
                "A beach facing the lit Gwangan Bridge.",
            ),
        ],
    }
}
