//! The twelve zodiac animals (십이지신) and their daily fortunes.
//!
//! Fortune texts are written for Moji (warm and playful, never ominous: it is an entertainment
//! feature). Which fortune a person sees is a pure function of (animal, user, day), so a reload
//! or a second device shows the same one, and tomorrow brings a new one.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

use crate::hash::Fnv1a;
use crate::text::Localized;

pub use moji_common::AnimalId;

/// Catalogue entry of one zodiac animal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Animal {
    /// Id.
    pub id: AnimalId,
    /// Display name (ko: 쥐, 소, 호랑이 …).
    pub name: Localized,
    /// Matching emoji character for compact UIs.
    pub emoji: &'static str,
    /// Short description of the animal's traditional character.
    pub traits: Localized,
}

/// One fortune text of an animal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fortune {
    /// Animal it belongs to.
    pub animal: AnimalId,
    /// Position among that animal's fortunes; with `animal` a stable key for storage.
    pub index: u8,
    /// The fortune.
    pub text: Localized,
    /// A lucky item to go with it.
    pub lucky_item: Localized,
}

/// Ordered like [`AnimalId::ALL`].
static ANIMALS: [Animal; 12] = [
    Animal {
        id: AnimalId::Rat,
        name: Localized::new("쥐", "Rat"),
        emoji: "🐭",
        traits: Localized::new(
            "영리하고 재치 있어서 기회를 누구보다 먼저 알아봐요.",
            "Clever and quick-witted, always first to spot an opportunity.",
        ),
    },
    Animal {
        id: AnimalId::Ox,
        name: Localized::new("소", "Ox"),
        emoji: "🐮",
        traits: Localized::new(
            "성실하고 듬직해서 한번 시작한 일은 끝까지 해내요.",
            "Steady and dependable; finishes whatever it starts.",
        ),
    },
    Animal {
        id: AnimalId::Tiger,
        name: Localized::new("호랑이", "Tiger"),
        emoji: "🐯",
        traits: Localized::new(
            "용감하고 당당해서 앞장서 길을 열어요.",
            "Brave and bold; happy to lead the way.",
        ),
    },
    Animal {
        id: AnimalId::Rabbit,
        name: Localized::new("토끼", "Rabbit"),
        emoji: "🐰",
        traits: Localized::new(
            "다정하고 섬세해서 주변 분위기를 부드럽게 만들어요.",
            "Gentle and sensitive; softens any room.",
        ),
    },
    Animal {
        id: AnimalId::Dragon,
        name: Localized::new("용", "Dragon"),
        emoji: "🐲",
        traits: Localized::new(
            "꿈이 크고 열정적이어서 어디서든 존재감이 빛나요.",
            "Big dreams and bright passion; impossible to miss.",
        ),
    },
    Animal {
        id: AnimalId::Snake,
        name: Localized::new("뱀", "Snake"),
        emoji: "🐍",
        traits: Localized::new(
            "지혜롭고 차분해서 사람의 마음을 잘 읽어요.",
            "Wise and calm; reads people well.",
        ),
    },
    Animal {
        id: AnimalId::Horse,
        name: Localized::new("말", "Horse"),
        emoji: "🐴",
        traits: Localized::new(
            "활발하고 자유로워서 어디서든 분위기를 띄워요.",
            "Lively and free-spirited; lifts any crowd.",
        ),
    },
    Animal {
        id: AnimalId::Goat,
        name: Localized::new("양", "Goat"),
        emoji: "🐑",
        traits: Localized::new(
            "온화하고 감성이 풍부하며 배려심이 깊어요.",
            "Mild, artistic and deeply considerate.",
        ),
    },
    Animal {
        id: AnimalId::Monkey,
        name: Localized::new("원숭이", "Monkey"),
        emoji: "🐵",
        traits: Localized::new(
            "재주 많고 호기심이 넘쳐서 모두를 웃게 해요.",
            "Talented and endlessly curious; makes everyone laugh.",
        ),
    },
    Animal {
        id: AnimalId::Rooster,
        name: Localized::new("닭", "Rooster"),
        emoji: "🐔",
        traits: Localized::new(
            "부지런하고 꼼꼼하며 자신감이 넘쳐요.",
            "Early-rising, meticulous and confident.",
        ),
    },
    Animal {
        id: AnimalId::Dog,
        name: Localized::new("개", "Dog"),
        emoji: "🐶",
        traits: Localized::new(
            "충직하고 정이 많아 누구와도 금방 친해져요.",
            "Loyal and warm-hearted; makes friends in no time.",
        ),
    },
    Animal {
        id: AnimalId::Pig,
        name: Localized::new("돼지", "Pig"),
        emoji: "🐷",
        traits: Localized::new(
            "복스럽고 너그러워서 함께 있으면 마음이 넉넉해져요.",
            "Jolly and generous; being near you feels like plenty.",
        ),
    },
];

const fn f(
    animal: AnimalId,
    index: u8,
    ko: &'static str,
    en: &'static str,
    lucky_ko: &'static str,
    lucky_en: &'static str,
) -> Fortune {
    Fortune {
        animal,
        index,
        text: Localized::new(ko, en),
        lucky_item: Localized::new(lucky_ko, lucky_en),
    }
}

use AnimalId as A;

/// Four fortunes per animal, ordered like [`AnimalId::ALL`].
static FORTUNES: [[Fortune; 4]; 12] = [
    [
        f(A::Rat, 0, "작은 아이디어 하나가 오늘 커다란 치즈가 되어 돌아와요. 메모장을 가까이 두세요!", "A tiny idea today comes back as a big wedge of cheese. Keep a notepad close!", "노란 포스트잇", "a yellow sticky note"),
        f(A::Rat, 1, "오랜만에 연락 온 친구가 반가운 소식을 물어다 줄 거예요.", "An old friend who has been quiet pops up with happy news.", "따뜻한 우유", "a glass of warm milk"),
        f(A::Rat, 2, "바쁘게 뛰어다니는 하루지만, 잠깐 멈춰 간식을 챙기면 운이 두 배가 돼요.", "A scurrying kind of day, but stop for a snack and your luck doubles.", "견과류 한 줌", "a handful of nuts"),
        f(A::Rat, 3, "숨겨 둔 재능을 누군가 알아봐 줘요. 오늘은 수줍어하지 말고 손을 들어 보세요.", "Someone notices a talent you have kept hidden. Don't be shy: raise your hand today.", "회색 양말", "grey socks"),
    ],
    [
        f(A::Ox, 0, "천천히 가도 괜찮아요. 오늘의 한 걸음이 다음 주의 큰 수확이 돼요.", "Slow is fine. Today's one step becomes next week's big harvest.", "초록색 머그컵", "a green mug"),
        f(A::Ox, 1, "묵묵히 해 온 일을 칭찬받는 날이에요. 어깨 한번 으쓱해도 돼요!", "The quiet work you have been doing finally gets praised. Go ahead and stand a little taller!", "갓 지은 밥", "a bowl of freshly cooked rice"),
        f(A::Ox, 2, "고집을 살짝 내려놓으면 뜻밖의 지름길이 보여요.", "Loosen your stubborn streak a little and a surprise shortcut appears.", "20분 산책", "a 20-minute walk"),
        f(A::Ox, 3, "든든한 당신 곁으로 사람들이 모여요. 따뜻한 한마디가 새 인연을 만들어요.", "People gather around your steady presence. One warm word starts a new friendship.", "나무 젓가락", "wooden chopsticks"),
    ],
    [
        f(A::Tiger, 0, "망설이던 일에 도전하기 딱 좋은 날! 어흥 하고 시작해 보세요.", "A perfect day to tackle what you have been putting off. Start with a mighty roar!", "주황색 운동화", "orange sneakers"),
        f(A::Tiger, 1, "당신의 카리스마에 모두가 귀 기울여요. 다만 목소리는 조금만 부드럽게요.", "Everyone listens to your charisma today; just keep the roar a little soft.", "꿀 한 스푼", "a spoonful of honey"),
        f(A::Tiger, 2, "혼자 다 하려 하지 마세요. 함께 뛰는 친구가 있을 때 더 멀리 가요.", "Don't carry it all alone: you run farther with a friend beside you.", "줄무늬 셔츠", "a striped shirt"),
        f(A::Tiger, 3, "짧은 낮잠이 큰 힘이 돼요. 푹 쉰 호랑이가 가장 멀리 뛰어요.", "A short nap is your secret power. The well-rested tiger leaps the farthest.", "폭신한 쿠션", "a fluffy cushion"),
    ],
    [
        f(A::Rabbit, 0, "깡충! 기분 좋은 소식이 예상보다 빨리 도착해요.", "Hop! Good news arrives sooner than you expected.", "당근 주스", "carrot juice"),
        f(A::Rabbit, 1, "예전에 베푼 작은 친절이 돌고 돌아 오늘 당신에게 돌아와요.", "A small kindness you once gave comes hopping back to you today.", "분홍색 손수건", "a pink handkerchief"),
        f(A::Rabbit, 2, "걱정에는 귀를 쫑긋 세우고 딱 한 번만 들어 주세요. 나머지는 바람에 날려 보내요.", "Perk your ears to your worries just once, then let the wind carry them off.", "보름달 사진", "a photo of the full moon"),
        f(A::Rabbit, 3, "새로운 곳에서 행운이 기다려요. 늘 가던 길 말고 옆 골목으로 가 보세요.", "Luck is waiting somewhere new: take the side street instead of your usual route.", "하얀 운동화", "white sneakers"),
    ],
    [
        f(A::Dragon, 0, "큰 꿈을 소리 내어 말해 보세요. 오늘은 말한 대로 이루어지는 기운이 있어요.", "Say your big dream out loud; today has a say-it-and-it-happens kind of energy.", "금색 펜", "a gold pen"),
        f(A::Dragon, 1, "구름 위를 나는 듯 일이 술술 풀려요. 그 기세로 미뤄 둔 일도 하나 끝내요!", "Things glide like a dragon above the clouds. Ride the tailwind and finish one postponed task!", "하늘색 우산", "a sky-blue umbrella"),
        f(A::Dragon, 2, "불꽃 같은 열정은 좋지만, 주변 사람 눈썹은 그을리지 않게 조심해요!", "Your fiery passion is great; just don't singe anyone's eyebrows!", "시원한 물 한 잔", "a glass of cold water"),
        f(A::Dragon, 3, "오래 품어 온 여의주를 꺼낼 때예요. 준비한 것을 자신 있게 보여 주세요.", "Time to reveal the pearl you have been guarding. Show what you prepared with pride.", "동그란 구슬", "a round marble"),
    ],
    [
        f(A::Snake, 0, "조용히 지켜본 것이 오늘의 정답이 돼요. 당신의 직감을 믿으세요.", "What you quietly observed turns out to be the answer. Trust your instincts.", "보라색 책갈피", "a purple bookmark"),
        f(A::Snake, 1, "허물을 벗듯 낡은 습관 하나를 놓아 보세요. 몸도 마음도 가벼워져요.", "Shed one old habit the way a snake sheds its skin, and feel lighter all over.", "새 칫솔", "a new toothbrush"),
        f(A::Snake, 2, "따스한 햇살 아래에서 좋은 아이디어가 떠올라요. 점심엔 꼭 밖으로 나가 보세요.", "A great idea arrives while you bask in the sun. Step outside at lunchtime.", "선글라스", "sunglasses"),
        f(A::Snake, 3, "말 한마디의 힘이 큰 날이에요. 칭찬은 아낌없이, 비밀은 꼭꼭 지켜 주세요.", "Words carry weight today: be generous with praise and keep secrets safe.", "민트 사탕", "a mint candy"),
    ],
    [
        f(A::Horse, 0, "마음껏 달리고 싶은 날! 새로운 운동이나 여행 계획에 행운이 따라요.", "A day that wants to gallop! New workouts and trip plans are blessed.", "새 운동화 끈", "fresh shoelaces"),
        f(A::Horse, 1, "당신의 웃음소리가 오늘 누군가의 하루를 구해 줘요.", "Your laugh rescues someone's day today.", "빨간 리본", "a red ribbon"),
        f(A::Horse, 2, "속도를 조금만 늦추면 길가의 꽃도 보여요. 서두르지 않아도 제때 도착해요.", "Ease off the pace and you will see the flowers by the road. You will still arrive on time.", "사과 한 알", "an apple"),
        f(A::Horse, 3, "함께 달릴 동료가 생겨요. 먼저 말을 걸면 멋진 팀이 될 거예요.", "A running mate appears. Say hello first and you will make a great team.", "갈색 가방", "a brown bag"),
    ],
    [
        f(A::Goat, 0, "포근한 마음씨 덕분에 고마운 일이 생겨요. 오늘은 받는 연습도 해 보세요.", "Your cosy heart earns you thanks today; practise accepting it gracefully.", "털실 장갑", "woolly gloves"),
        f(A::Goat, 1, "그림, 노래, 글쓰기… 무엇이든 만들어 보세요. 창작의 운이 활짝 열려요.", "Draw, sing, write: make something! Your creative luck is wide open.", "색연필", "coloured pencils"),
        f(A::Goat, 2, "구름처럼 폭신한 휴식이 필요해요. 오늘 밤은 일찍 이불 속으로!", "You need a rest as fluffy as a cloud. Early to bed tonight!", "라벤더 향", "a lavender scent"),
        f(A::Goat, 3, "망설이던 부탁을 꺼내 보세요. 생각보다 흔쾌히 들어줄 거예요.", "Ask for the favour you have been hesitating over. The yes will be warmer than you think.", "크림색 스웨터", "a cream sweater"),
    ],
    [
        f(A::Monkey, 0, "장난기 가득한 아이디어가 대박을 터뜨려요. 엉뚱함이 오늘의 무기!", "A mischievous idea becomes a big hit. Your quirkiness is today's superpower!", "바나나 우유", "banana milk"),
        f(A::Monkey, 1, "배움의 운이 좋은 날이에요. 궁금했던 것 하나를 끝까지 파고들어 보세요.", "A lucky day for learning: take one thing you were curious about and dig all the way in.", "노란 우산", "a yellow umbrella"),
        f(A::Monkey, 2, "이 가지 저 가지 옮겨 다니기보다 한 가지에 집중하면 열매를 따요.", "Rather than swinging from branch to branch, stay on one and you will pick the fruit.", "손목시계", "a wristwatch"),
        f(A::Monkey, 3, "당신의 농담 한마디가 어색한 분위기를 녹여요. 모두가 당신 편이에요.", "One joke from you melts an awkward silence. Everyone is on your side.", "알록달록 양말", "colourful socks"),
    ],
    [
        f(A::Rooster, 0, "일찍 일어난 만큼 행운도 먼저 와요. 아침 시간을 알차게 써 보세요!", "The early bird gets the luck: make the most of your morning!", "달걀 토스트", "egg toast"),
        f(A::Rooster, 1, "꼼꼼하게 준비한 덕분에 실수 없이 해내요. 스스로에게 박수!", "Your careful preparation pays off with a flawless finish. Give yourself a round of applause!", "빨간 볼펜", "a red pen"),
        f(A::Rooster, 2, "오늘은 당신의 목소리가 필요해요. 모임에서 당당하게 의견을 말해 보세요.", "Your voice is needed today: speak up proudly when the group gathers.", "반짝이는 목걸이", "a sparkly necklace"),
        f(A::Rooster, 3, "완벽하지 않아도 괜찮아요. 살짝 흐트러진 깃털도 멋스러워요.", "It doesn't have to be perfect; a ruffled feather or two looks charming.", "주황색 머리끈", "an orange hair tie"),
    ],
    [
        f(A::Dog, 0, "꼬리가 절로 흔들리는 반가운 만남이 있어요!", "A reunion so happy your tail will wag all by itself!", "산책용 운동화", "walking shoes"),
        f(A::Dog, 1, "당신의 믿음직함이 빛나는 날. 누군가 당신에게 기대고 싶어 해요.", "Your loyalty shines today; someone would love to lean on you.", "따뜻한 코코아", "hot cocoa"),
        f(A::Dog, 2, "맛있는 냄새를 따라가면 행운이 있어요. 새로운 맛집에 도전해 보세요.", "Follow your nose to good luck: try a new place to eat.", "파란 목도리", "a blue scarf"),
        f(A::Dog, 3, "칭찬 한 번, 간식 한 번! 오늘은 스스로에게 상을 주세요.", "One pat on the back, one treat! Reward yourself today, you have earned it.", "쿠키", "a cookie"),
    ],
    [
        f(A::Pig, 0, "복이 굴러 들어오는 날! 지갑을 열기 전에 한 번 더 생각하면 복이 더 커져요.", "Good fortune rolls right in! Think twice before spending and it grows even bigger.", "분홍 지갑", "a pink wallet"),
        f(A::Pig, 1, "맛있는 음식과 좋은 사람이 함께하는 행복한 하루예요.", "A happy day of good food and even better company.", "따끈한 만두", "steaming dumplings"),
        f(A::Pig, 2, "느긋한 마음이 행운을 불러요. 조급해하지 말고 흐름에 맡겨 보세요.", "An easygoing heart attracts luck. Don't rush; go with the flow today.", "달콤한 낮잠", "a sweet nap"),
        f(A::Pig, 3, "나눌수록 커지는 복! 작은 선물이 큰 웃음이 되어 돌아와요.", "Luck grows when it is shared: a small gift comes back as a big smile.", "귤 한 개", "a tangerine"),
    ],
];

/// All twelve animals in traditional order.
pub fn animals() -> &'static [Animal; 12] {
    &ANIMALS
}

/// Catalogue entry of one animal.
pub fn animal(id: AnimalId) -> &'static Animal {
    &ANIMALS[id.index()]
}

/// All fortunes of one animal.
pub fn fortunes(animal: AnimalId) -> &'static [Fortune] {
    &FORTUNES[animal.index()]
}

/// The fortune `user_id` sees for `animal` on `date` (the caller picks the time zone that
/// defines "today"; Moji uses Asia/Seoul for Korean users). Deterministic across processes,
/// machines and Rust versions.
pub fn fortune(animal: AnimalId, user_id: Uuid, date: NaiveDate) -> &'static Fortune {
    let list = fortunes(animal);
    let mut h = Fnv1a::default();
    // A domain tag keeps this pick independent of any other FNV use over the same bytes.
    h.write(b"moji.fortune.v1\0")
        .write(animal.as_str().as_bytes())
        .write(&[0])
        .write(user_id.as_bytes())
        .write(&date.num_days_from_ce().to_le_bytes());
    // FNV's low bits mix poorly for short inputs that differ only at the end; fold the high half.
    let mixed = h.finish() ^ (h.finish() >> 29);
    let len = list.len() as u64;
    // `len` is 4, so the modulo always fits in usize.
    let i = usize::try_from(mixed % len).unwrap_or(0);
    &list[i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn order_names_and_ids() {
        let ko: Vec<_> = animals().iter().map(|a| a.name.ko).collect();
        assert_eq!(
            ko,
            [
                "쥐",
                "소",
                "호랑이",
                "토끼",
                "용",
                "뱀",
                "말",
                "양",
                "원숭이",
                "닭",
                "개",
                "돼지"
            ]
        );
        for (i, a) in animals().iter().enumerate() {
            assert_eq!(a.id, AnimalId::ALL[i]);
            assert_eq!(a.id.index(), i);
            assert_eq!(AnimalId::parse(a.id.as_str()), Some(a.id));
            assert_eq!(animal(a.id), a);
        }
        assert_eq!(AnimalId::parse("sheep"), Some(AnimalId::Goat));
        assert_eq!(AnimalId::parse("cat"), None);
    }

    #[test]
    fn every_animal_has_enough_fortunes() {
        for a in AnimalId::ALL {
            let list = fortunes(a);
            assert!(list.len() >= 3);
            for (i, f) in list.iter().enumerate() {
                assert_eq!(f.animal, a);
                assert_eq!(usize::from(f.index), i);
                assert!(!f.text.ko.is_empty() && !f.text.en.is_empty());
                assert!(!f.lucky_item.ko.is_empty() && !f.lucky_item.en.is_empty());
            }
        }
    }

    #[test]
    fn fortune_is_deterministic_and_varies() {
        let user = Uuid::from_u128(0x0192_3456_789a_7bcd_8ef0_1234_5678_9abc);
        let day = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap_or_default();
        let a = fortune(AnimalId::Tiger, user, day);
        assert_eq!(a, fortune(AnimalId::Tiger, user, day));
        assert_eq!(a.animal, AnimalId::Tiger);

        // Over a month one user sees several different fortunes, not one stuck value.
        let mut seen = HashSet::new();
        for d in 0..30 {
            let date = day + chrono::Days::new(d);
            seen.insert(fortune(AnimalId::Tiger, user, date).index);
        }
        assert!(seen.len() >= 3, "{seen:?}");

        // And on one day, different users spread over the list.
        let mut seen = HashSet::new();
        for u in 0..40u128 {
            seen.insert(fortune(AnimalId::Pig, Uuid::from_u128(u << 64 | 7), day).index);
        }
        assert_eq!(seen.len(), fortunes(AnimalId::Pig).len());
    }

    #[test]
    fn fortune_pick_is_pinned() {
        // Golden values: if these change, everyone's fortune for a given day changes, which a
        // hash or input-layout refactor must not do silently.
        let user = Uuid::from_u128(0x0192_3456_789a_7bcd_8ef0_1234_5678_9abc);
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        let picks: Vec<u8> = AnimalId::ALL
            .iter()
            .map(|&a| fortune(a, user, day).index)
            .collect();
        assert_eq!(picks, PINNED);
    }

    const PINNED: [u8; 12] = [0, 1, 0, 1, 0, 1, 1, 0, 2, 3, 2, 1];
}
