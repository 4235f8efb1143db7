//! The closed vocabularies of Moji's faces: expressions, emoji templates, zodiac animals,
//! who may see a thing, and ranking windows. Task kind and status live in [`crate::task`].

/// A name that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct UnknownName {
    /// The type that was asked for.
    pub what: &'static str,
    /// What was given (at most 64 characters of it).
    pub value: String,
    /// Every accepted name.
    pub expected: String,
}

wire_enum! {
    /// The seven expressions of the `fer` mini-Xception, in the model's output order.
    pub enum Expression {
        /// Angry.
        Angry = "angry",
        /// Disgusted.
        Disgust = "disgust",
        /// Afraid.
        Fear = "fear",
        /// Happy.
        Happy = "happy",
        /// Sad.
        Sad = "sad",
        /// Surprised.
        Surprise = "surprise",
        /// Neutral.
        Neutral = "neutral",
    }
}

impl Expression {
    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// The expression with the highest score (ties: the first).
    pub fn argmax(scores: &[f32; 7]) -> (Expression, f32) {
        let mut best = (Expression::Angry, f32::MIN);
        for e in Self::ALL {
            if scores[e.index()] > best.1 {
                best = (e, scores[e.index()]);
            }
        }
        best
    }
}

wire_enum! {
    /// An emoji template (style): which emoji set is pasted over the faces.
    pub enum TemplateId {
        /// The round yellow smiley.
        Classic = "classic",
        /// A ginger cat.
        Cat = "cat",
        /// A brown teddy bear.
        Bear = "bear",
        /// A white bunny.
        Bunny = "bunny",
    }
}

impl TemplateId {
    /// The template used when a request names none.
    pub const DEFAULT: TemplateId = TemplateId::Classic;
}

wire_enum! {
    /// One of the twelve zodiac animals, in the traditional order (rat first).
    pub enum AnimalId {
        /// 쥐.
        Rat = "rat",
        /// 소.
        Ox = "ox",
        /// 호랑이.
        Tiger = "tiger",
        /// 토끼.
        Rabbit = "rabbit",
        /// 용.
        Dragon = "dragon",
        /// 뱀.
        Snake = "snake",
        /// 말.
        Horse = "horse",
        /// 양 (goat or sheep; both translations are common).
        Goat = "goat",
        /// 원숭이.
        Monkey = "monkey",
        /// 닭.
        Rooster = "rooster",
        /// 개.
        Dog = "dog",
        /// 돼지.
        Pig = "pig",
    }
}

impl AnimalId {
    /// Parses the snake_case id; "sheep" is accepted for the goat since both are in use.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "sheep" {
            return Some(AnimalId::Goat);
        }
        s.parse().ok()
    }
}

wire_enum! {
    /// Who may see a saved emoji or a zodiac result.
    pub enum Visibility {
        /// Anyone, signed in or not.
        Public = "public",
        /// Only its owner (and admins).
        Private = "private",
    }
}

wire_enum! {
    /// A ranking window, in product days (see `moji_config::ProductCalendar`).
    pub enum Period {
        /// Today and the six product days before it.
        Week = "week",
        /// Today and the 29 product days before it.
        Month = "month",
        /// All time.
        All = "all",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Expression::ALL {
            assert_eq!(e.as_str().parse::<Expression>().unwrap(), e);
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
        for a in AnimalId::ALL {
            assert_eq!(AnimalId::parse(a.as_str()), Some(a));
        }
        assert_eq!(AnimalId::parse("sheep"), Some(AnimalId::Goat));
        assert_eq!(AnimalId::ALL.len(), 12);
        assert_eq!(Expression::ALL[3], Expression::Happy);
        assert_eq!(Expression::Neutral.index(), 6);
    }

    #[test]
    fn unknown_names_say_what_is_expected() {
        let err = "weekly".parse::<Period>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown Period \"weekly\"; expected one of: week, month, all"
        );
        assert!("Public".parse::<Visibility>().is_err());
    }

    #[test]
    fn argmax_takes_the_first_of_ties() {
        let mut s = [0.1; 7];
        s[3] = 0.5;
        s[5] = 0.5;
        assert_eq!(Expression::argmax(&s), (Expression::Happy, 0.5));
    }
}
