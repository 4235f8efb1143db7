//! The template writer's fixed sentences: what to do at a kind of place, and the tips.

use moji_common::course::{CourseLanguage, Season, TimeOfDay, Transport};

/// Kinds of place the notes tell apart, found by keywords in the catalogue category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fun,
    Heritage,
    Temple,
    Culture,
    Cafe,
    Food,
    Market,
    Night,
    View,
    Water,
    Nature,
    Shopping,
    Other,
}

/// Keywords of each kind, tried in order against the starts of the category's words (so
/// `theme_park` is fun before `park` is nature, `street_food` a market before `street` is
/// shopping, and `seafood` food before `sea` is water).
const KEYWORDS: &[(Kind, &[&str])] = &[
    (
        Kind::Fun,
        &[
            "theme",
            "amusement",
            "aquarium",
            "zoo",
            "experience",
            "activity",
        ],
    ),
    (
        Kind::Market,
        &["market", "street_food", "food_street", "alley"],
    ),
    (
        Kind::Heritage,
        &[
            "palace", "heritage", "fortress", "historic", "hanok", "village", "tomb",
        ],
    ),
    (Kind::Temple, &["temple", "shrine", "church", "cathedral"]),
    (
        Kind::Culture,
        &[
            "museum",
            "gallery",
            "art",
            "exhibition",
            "library",
            "theater",
            "theatre",
        ],
    ),
    (
        Kind::Food,
        &[
            "restaurant",
            "food",
            "dining",
            "seafood",
            "bbq",
            "barbecue",
            "noodle",
            "eatery",
        ],
    ),
    (Kind::Cafe, &["cafe", "coffee", "bakery", "dessert", "tea"]),
    (
        Kind::Night,
        &["bar", "pub", "night", "jazz", "cocktail", "wine"],
    ),
    (
        Kind::View,
        &["tower", "observ", "view", "sky", "bridge", "lookout"],
    ),
    (
        Kind::Water,
        &[
            "beach", "coast", "harbor", "harbour", "port", "sea", "lake", "river", "stream",
        ],
    ),
    (
        Kind::Nature,
        &[
            "park",
            "garden",
            "forest",
            "trail",
            "mountain",
            "hill",
            "nature",
            "island",
            "oreum",
            "waterfall",
            "arboretum",
        ],
    ),
    (
        Kind::Shopping,
        &["shopping", "mall", "street", "district", "shop", "book"],
    ),
];

fn kind(category: &str) -> Kind {
    let category = category.to_lowercase();
    let parts: Vec<&str> = category
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    KEYWORDS
        .iter()
        .find(|(_, keywords)| {
            keywords.iter().any(|k| {
                // Multi-word keywords (`street_food`) match the whole category.
                if k.contains('_') {
                    category.contains(k)
                } else {
                    parts.iter().any(|p| p.starts_with(k))
                }
            })
        })
        .map_or(Kind::Other, |(kind, _)| *kind)
}

/// One sentence on what to do at a place of `category`.
pub(super) fn category_phrase(l: CourseLanguage, category: &str) -> &'static str {
    let ko = l == CourseLanguage::Ko;
    match kind(category) {
        Kind::Fun if ko => "함께 체험하며 웃을 일이 많은 곳이에요.",
        Kind::Fun => "There is plenty to try together and laugh about.",
        Kind::Heritage if ko => "옛 건물과 담장을 따라 천천히 걸으며 사진을 남기기 좋아요.",
        Kind::Heritage => "Take the old walls and courtyards slowly; they are made for photos.",
        Kind::Temple if ko => "조용한 경내를 거닐며 잠시 마음을 쉬어 가세요.",
        Kind::Temple => "Walk the quiet grounds and let the pace drop for a while.",
        Kind::Culture if ko => "마음에 드는 작품 앞에서 서로의 감상을 나눠 보세요.",
        Kind::Culture => "Trade impressions in front of the works you each like best.",
        Kind::Cafe if ko => "따뜻한 음료와 디저트로 쉬어 가기 좋은 곳이에요.",
        Kind::Cafe => "A good place to sit down over coffee and something sweet.",
        Kind::Food if ko => "함께 식사하며 여유롭게 이야기를 나눠 보세요.",
        Kind::Food => "Share a meal and let the conversation run.",
        Kind::Market if ko => "골목을 돌며 간식을 나눠 먹는 재미가 있어요.",
        Kind::Market => "Wander the stalls and share snacks as you go.",
        Kind::Night if ko => "분위기 있는 한잔으로 하루를 마무리하기 좋아요.",
        Kind::Night => "A relaxed drink is a fine way to round off the day.",
        Kind::View if ko => "높은 곳에서 펼쳐지는 풍경을 함께 내려다보세요.",
        Kind::View => "Look out over the view together.",
        Kind::Water if ko => "물가를 따라 걸으며 시원한 바람을 느껴 보세요.",
        Kind::Water => "Stroll along the water and enjoy the breeze.",
        Kind::Nature if ko => "탁 트인 자연 속을 나란히 걸어 보세요.",
        Kind::Nature => "Walk side by side through the open green.",
        Kind::Shopping if ko => "구경거리가 많아 천천히 둘러보기 좋아요.",
        Kind::Shopping => "There is plenty to browse, so take your time.",
        Kind::Other if ko => "이곳만의 분위기를 천천히 즐겨 보세요.",
        Kind::Other => "Take your time and enjoy what makes it special.",
    }
}

/// What to wear or bring in `season`.
pub(super) fn season_tip(l: CourseLanguage, season: Season) -> String {
    let ko = l == CourseLanguage::Ko;
    let tip = match season {
        Season::Spring if ko => "봄에는 일교차가 커요. 얇은 겉옷을 챙기세요.",
        Season::Spring => "Spring days swing from warm to cool: bring a light jacket.",
        Season::Summer if ko => "더운 날엔 물을 챙기고 그늘이나 실내에서 자주 쉬어 가세요.",
        Season::Summer => "Carry water, and rest in the shade or indoors when it is hot.",
        Season::Autumn if ko => "가을 저녁은 쌀쌀해요. 가벼운 외투를 준비하세요.",
        Season::Autumn => "Autumn evenings turn chilly: pack a light coat.",
        Season::Winter if ko => "겨울엔 장갑과 목도리로 따뜻하게 챙겨 입으세요.",
        Season::Winter => "Dress warmly: gloves and a scarf make the walks between stops easy.",
    };
    tip.to_owned()
}

/// What to check at `time` of day (the last train when going by transit at night).
pub(super) fn time_tip(l: CourseLanguage, time: TimeOfDay, transport: Transport) -> String {
    let ko = l == CourseLanguage::Ko;
    let tip = match time {
        TimeOfDay::Morning if ko => "인기 있는 곳도 오전에는 한산해요. 일찍 움직일수록 여유로워요.",
        TimeOfDay::Morning => "Popular places are quiet in the morning: the earlier, the calmer.",
        TimeOfDay::Afternoon if ko => "오후에는 사람이 몰리니 식당이나 카페는 미리 예약해 두세요.",
        TimeOfDay::Afternoon => "Afternoons get busy: book a table ahead where you can.",
        TimeOfDay::Evening if ko => "해 질 무렵 풍경을 놓치지 않도록 일몰 시간을 확인하세요.",
        TimeOfDay::Evening => "Check the sunset time so you catch the golden hour.",
        TimeOfDay::Night if ko && transport == Transport::Transit => {
            "밤에는 장소마다 마감 시간과 막차 시간을 미리 확인하세요."
        }
        TimeOfDay::Night if ko => "밤에는 장소마다 마감 시간이 다르니 미리 확인하세요.",
        TimeOfDay::Night if transport == Transport::Transit => {
            "Check closing times and the last train before you set out."
        }
        TimeOfDay::Night => "Check each place's closing time before you set out.",
    };
    tip.to_owned()
}

/// What moving by `transport` needs.
pub(super) fn transport_tip(l: CourseLanguage, transport: Transport) -> String {
    let ko = l == CourseLanguage::Ko;
    let tip = match transport {
        Transport::Walk if ko => "걷는 시간이 길어요. 편한 신발을 신으세요.",
        Transport::Walk => "There is a fair bit of walking: wear comfortable shoes.",
        Transport::Transit if ko => "교통카드를 충전해 두고 환승 경로를 미리 확인하세요.",
        Transport::Transit => "Top up a transit card and look up the transfers in advance.",
        Transport::Car if ko => "장소마다 주차 가능 여부와 요금을 미리 확인하세요.",
        Transport::Car => "Check parking and its price at each stop in advance.",
    };
    tip.to_owned()
}

/// What the mix of indoor and outdoor stops means for the weather; none for an empty course.
pub(super) fn mix_tip(l: CourseLanguage, indoor: usize, outdoor: usize) -> Option<String> {
    let ko = l == CourseLanguage::Ko;
    let tip = match (indoor, outdoor) {
        (0, 0) => return None,
        (0, _) if ko => {
            "모두 야외 장소예요. 비 소식이 있으면 우산과 실내 대안을 챙기세요.".to_owned()
        }
        (0, _) => "Every stop is outdoors: bring an umbrella if rain is forecast.".to_owned(),
        (_, 0) if ko => "모두 실내 장소라 날씨 걱정 없이 다닐 수 있어요.".to_owned(),
        (_, 0) => "Every stop is indoors, so the weather will not spoil it.".to_owned(),
        (i, o) if ko => {
            format!("실내 {i}곳, 야외 {o}곳이에요. 날씨가 궂으면 실내에서 조금 더 머물러도 좋아요.")
        }
        (i, o) => format!(
            "{i} indoor and {o} outdoor {}: if the weather turns, linger longer inside.",
            if i + o == 1 { "stop" } else { "stops" }
        ),
    };
    Some(tip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_find_their_kind() {
        assert_eq!(kind("palace"), Kind::Heritage);
        assert_eq!(kind("theme_park"), Kind::Fun);
        assert_eq!(kind("park"), Kind::Nature);
        assert_eq!(kind("street_food"), Kind::Market);
        assert_eq!(kind("shopping_street"), Kind::Shopping);
        assert_eq!(kind("Cafe"), Kind::Cafe);
        assert_eq!(kind("beach"), Kind::Water);
        assert_eq!(kind("observatory"), Kind::View);
        assert_eq!(kind("seafood_restaurant"), Kind::Food);
        assert_eq!(kind("steakhouse"), Kind::Other);
        assert_eq!(kind("teahouse"), Kind::Cafe);
        assert_eq!(kind("something_else"), Kind::Other);
    }
}
